// Polling helper for readiness checks: the error says what we were waiting for.
export class LabTimeoutError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
      last = null;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new LabTimeoutError(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    }
    await sleep(everyMs);
  }
}

/** Polls `fn` until it gives a value (errors count as not yet); the error says what we were waiting for. */
export async function waitForValue<T>(
  what: string,
  timeoutMs: number,
  fn: () => Promise<T | undefined | false | null>,
  everyMs = 100,
): Promise<T> {
  let value: T | undefined;
  await waitFor(
    what,
    timeoutMs,
    async () => {
      const v = await fn();
      if (v === undefined || v === false || v === null) return false;
      value = v;
      return true;
    },
    everyMs,
  );
  return value as T;
}
