// Replays the exchanges recorded in test/contract/recorded/ the way Skydive's Python client
// (skydive-client) and skydive-flow-matrix put them on the wire, and checks what they read back.
// See test/contract/README.md for the upstream source of every exchange.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import WebSocket from 'ws';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { Collector } from '../../src/collector.ts';
import { ovsdbComponent } from '../../src/ovs/component.ts';
import { flowsComponent, netflowComponent } from '../../src/components.ts';
import { alertsComponent } from '../../src/alerts/component.ts';
import { silentLogger } from '../../src/util/log.ts';
import { createRegistry } from '../../src/util/metrics.ts';

export const ADMIN = { username: 'admin', password: 'pass' };

export type Vars = Record<string, string | number>;

export interface Exchange {
  name: string;
  client: string;
  upstream: string[];
  pending?: string;
  request?: {
    method: string;
    path: string;
    upgrade?: string;
    headers: Record<string, string>;
    json?: unknown;
    form?: Record<string, string>;
  };
  messages?: Record<string, unknown>[];
  expect: Record<string, unknown>;
}

const RECORDED = new URL('./recorded/', import.meta.url);

/** Replaces ${name}; a string that is exactly one placeholder takes the variable's type (numbers stay numbers). */
export function fill<T>(v: T, vars: Vars): T {
  if (typeof v === 'string') {
    const whole = /^\$\{(\w+)\}$/.exec(v);
    if (whole) {
      const val = vars[whole[1]!];
      if (val === undefined) throw new Error(`no value for \${${whole[1]}}`);
      return val as T;
    }
    return v.replace(/\$\{(\w+)\}/g, (_, k: string) => {
      const val = vars[k];
      if (val === undefined) throw new Error(`no value for \${${k}}`);
      return String(val);
    }) as T;
  }
  if (Array.isArray(v)) return v.map((x) => fill(x, vars)) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, vars)])) as T;
  return v;
}

export function loadExchange(name: string): Exchange {
  return JSON.parse(readFileSync(new URL(`${name}.json`, RECORDED), 'utf8')) as Exchange;
}

export interface Canopy {
  collector: Collector;
  /** host:port as the Python clients take it (`--analyzer HOST:PORT`). */
  endpoint: string;
  stop(): Promise<void>;
}

/** A real collector on 127.0.0.1:0; with auth, one admin user configured with a bcrypt hash. */
/** `flows`: also the flow pipeline and a NetFlow listener on 127.0.0.1 (its port in `netflow`). */
/** `alerts: false`: without the alerts component (/api/alert answers 501). */
export async function startCanopy(opts: { auth: boolean; flows?: boolean; alerts?: boolean }): Promise<Canopy> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-contract-'));
  const users = opts.auth ? [{ name: ADMIN.username, passwordHash: bcrypt.hashSync(ADMIN.password, 4), role: 'admin' }] : [];
  const overrides: Record<string, unknown> = { 'api.listen': '127.0.0.1:0', 'storage.dataDir': dir, 'auth.users': users };
  if (opts.flows) Object.assign(overrides, { 'netflow.listen': '127.0.0.1:0', 'ipfix.enabled': false, 'sflow.enabled': false });
  const config = loadConfig({ env: {}, overrides });
  const base = opts.alerts === false ? [ovsdbComponent] : [ovsdbComponent, alertsComponent];
  const components = opts.flows ? [...base, flowsComponent, netflowComponent] : base;
  const collector = new Collector({ config, log: silentLogger(), registry: createRegistry(false), components });
  await collector.start();
  return {
    collector,
    endpoint: collector.apiAddresses[0]!,
    async stop() {
      await collector.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** One HTTP exchange exactly as recorded (headers, form or JSON body), plus a Cookie header when given. */
export async function send(endpoint: string, req: NonNullable<Exchange['request']>, cookie?: string): Promise<RawResponse> {
  const headers = new Headers(req.headers);
  if (cookie) headers.set('Cookie', cookie);
  let body: string | undefined;
  if (req.form) body = new URLSearchParams(req.form).toString();
  else if (req.json !== undefined) body = JSON.stringify(req.json);
  const res = await fetch(`http://${endpoint}${req.path}`, { method: req.method, headers, body, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Parses Set-Cookie headers the way a cookie jar keeps them: name → value. */
export function cookiesOf(res: RawResponse): Map<string, string> {
  const jar = new Map<string, string>();
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const i = pair!.indexOf('=');
    if (i > 0) jar.set(pair!.slice(0, i).trim(), pair!.slice(i + 1).trim());
  }
  return jar;
}

export class BadRequest extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body.slice(0, 200)}`);
  }
}

/**
 * What skydive-client's RESTClient + Authenticate do with each response: log in once when a
 * username is set (keeping the authtoken cookie), raise on any non-2xx, skip parsing for
 * DELETE, and parse JSON only when Content-Type (before ';') is application/json — otherwise
 * the raw text comes back, which would break every caller that then indexes it.
 */
export class PyRestClient {
  readonly jar = new Map<string, string>();
  authenticated = false;
  token = '';
  readonly sent: RawResponse[] = [];

  constructor(
    readonly endpoint: string,
    readonly username = '',
    readonly password = '',
  ) {}

  async login(): Promise<boolean> {
    const ex = fill(loadExchange('login'), { username: this.username, password: this.password });
    const res = await send(this.endpoint, ex.request!, this.cookieHeader());
    if (res.status < 200 || res.status >= 300) throw new BadRequest(res.status, res.text);
    for (const [k, v] of cookiesOf(res)) this.jar.set(k, v);
    const t = this.jar.get('authtoken');
    if (t !== undefined) {
      this.token = t;
      this.authenticated = true;
    }
    return this.authenticated;
  }

  logout(): void {
    this.authenticated = false;
    this.token = '';
  }

  cookieHeader(): string | undefined {
    return this.jar.size ? [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  /** Sends a recorded request; returns what the Python client would hand its caller. */
  async request(req: NonNullable<Exchange['request']>): Promise<unknown> {
    if (this.username && !this.authenticated) await this.login();
    const res = await send(this.endpoint, req, this.cookieHeader());
    this.sent.push(res);
    // HTTPCookieProcessor keeps any cookie a response sets.
    for (const [k, v] of cookiesOf(res)) this.jar.set(k, v);
    if (res.status < 200 || res.status >= 300) {
      this.logout();
      throw new BadRequest(res.status, res.text);
    }
    if (req.method === 'DELETE') return res.text;
    const ct = res.headers.get('content-type');
    if (ct === null) throw new Error(`no Content-Type on ${req.method} ${req.path}: the client's .split(";") fails on None`);
    if (ct.split(';')[0] === 'application/json') return JSON.parse(res.text) as unknown;
    return res.text;
  }

  lastResponse(): RawResponse {
    return this.sent[this.sent.length - 1]!;
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

interface FieldReads {
  required: string[];
  optional: Record<string, string>;
}

/** The fields a from_object() reads: obj["X"] must exist (KeyError otherwise), obj.get("Y") may. */
export function checkFields(obj: unknown, reads: FieldReads, where: string): void {
  expect(typeName(obj), `${where} is an object`).toBe('object');
  const o = obj as Record<string, unknown>;
  for (const k of reads.required) expect(o, `${where} has ${k}`).toHaveProperty([k]);
  for (const [k, t] of Object.entries(reads.optional)) {
    if (o[k] !== undefined) expect(typeName(o[k]), `${where}.${k} type`).toBe(t);
  }
}

/** Checks a parsed answer against a recorded `expect` block (shape, fields, values). */
export function checkExpect(value: unknown, exp: Record<string, unknown>, where: string): void {
  const shape = exp.shape as string | undefined;
  if (shape === 'array') {
    expect(Array.isArray(value), `${where}: an array`).toBe(true);
    if (exp.each) for (const [i, el] of (value as unknown[]).entries()) checkFields(el, exp.each as FieldReads, `${where}[${i}]`);
  } else if (shape === 'object-keyed-by-ID') {
    expect(typeName(value), `${where}: an object keyed by ID`).toBe('object');
    for (const [k, el] of Object.entries(value as Record<string, unknown>)) {
      checkFields(el, exp.each as FieldReads, `${where}[${k}]`);
      expect((el as { ID?: unknown; UUID?: unknown }).ID ?? (el as { UUID?: unknown }).UUID, `${where}: key is the ID`).toBe(k);
    }
    if (exp.contains) expect(Object.keys(value as object)).toContain(exp.contains);
  } else if (shape === 'object') {
    checkFields(value, exp.fields as FieldReads, where);
  } else if (shape === 'number') {
    expect(typeof value, `${where}: a number`).toBe('number');
  }
  for (const [path, want] of Object.entries((exp.values as Record<string, unknown> | undefined) ?? {})) {
    expect(getPath(value, path), `${where}.${path}`).toEqual(want);
  }
}

export interface WsOpen {
  ws: WebSocket;
  received: Record<string, unknown>[];
  next(pred: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Opens a WebSocket with exactly the recorded handshake headers; resolves on 101, rejects with the status otherwise. */
export function openWs(endpoint: string, req: NonNullable<Exchange['request']>): Promise<WsOpen> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${endpoint}${req.path}`, { headers: req.headers });
    const received: Record<string, unknown>[] = [];
    const waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      received.push(m);
      for (const w of [...waiters]) {
        if (w.pred(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`handshake answered ${res.statusCode}`), { status: res.statusCode }));
      res.resume();
    });
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        received,
        next(pred, timeoutMs = 5000) {
          const seen = received.find(pred);
          if (seen) return Promise.resolve(seen);
          return new Promise((res, rej) => {
            const w = { pred, resolve: res };
            waiters.push(w);
            setTimeout(() => {
              const i = waiters.indexOf(w);
              if (i >= 0) {
                waiters.splice(i, 1);
                rej(new Error('no matching message in time'));
              }
            }, timeoutMs).unref();
          });
        },
        close: () =>
          new Promise<void>((res) => {
            if (ws.readyState === ws.CLOSED) return res();
            ws.once('close', () => res());
            ws.close();
          }),
      }),
    );
  });
}

/** Polls until fn() holds (writes from a WebSocket land asynchronously). */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let v = await fn();
  while (!ok(v) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 25));
    v = await fn();
  }
  return v;
}

/** uuid.uuid4().hex, as WSMessage puts in UUID. */
export function pyUuidHex(): string {
  return crypto.randomUUID().replace(/-/g, '');
}
