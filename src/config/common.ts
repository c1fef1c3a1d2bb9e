// Building blocks shared by the per-component config sections.
import { z } from 'zod';
import { parseListen } from '../util/listen.ts';

/** One `host:port` string, validated. */
export const listenString = z.string().superRefine((v, ctx) => {
  try {
    parseListen(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

/** `*.listen`: one address or a list (docs/architecture.md#configuration-and-metrics). */
export const listenSchema = z.union([listenString, z.array(listenString).min(1)]);

/** Durations: seconds as a number, or "30s", "5m", "2h", "7d". Parsed to seconds. */
export const durationSeconds = z.union([
  z.number().nonnegative(),
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)?$/, 'expected a duration like 30s, 5m, 2h, 7d')
    .transform(parseDuration),
]);

export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new Error(`bad duration ${v}`);
  const n = Number(m[1]);
  switch (m[2]) {
    case 'ms':
      return n / 1000;
    case 'm':
      return n * 60;
    case 'h':
      return n * 3600;
    case 'd':
      return n * 86400;
    default:
      return n;
  }
}

/** A strict object section whose missing keys take their defaults. */
export function section<T extends z.ZodRawShape>(shape: T) {
  // prefault: a missing section is parsed from {} so its keys take their defaults.
  return z
    .object(shape)
    .strict()
    .prefault({} as never);
}
