// RFC 9457 problem details for every API error.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export class HttpProblem extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export function problem(c: Context, status: ContentfulStatusCode, title: string, detail?: string, extra: Record<string, unknown> = {}) {
  return c.body(JSON.stringify({ type: 'about:blank', title, status, ...(detail ? { detail } : {}), ...extra }), status, {
    'Content-Type': 'application/problem+json; charset=UTF-8',
  });
}

/** Skydive clients expect this exact content type on JSON answers. */
export function json(c: Context, body: unknown, status: ContentfulStatusCode = 200) {
  return c.body(JSON.stringify(body), status, { 'Content-Type': 'application/json; charset=UTF-8' });
}
