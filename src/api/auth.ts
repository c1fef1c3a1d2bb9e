// Authentication (docs/architecture.md#http-api): users with bcrypt hashes, bearer tokens, login sessions.
// Off only when nothing is configured and the API listens on loopback.
import bcrypt from 'bcryptjs';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../util/log.ts';
import { isLoopback, listenList, parseListen } from '../util/listen.ts';
import type { CanopyConfig } from '../config/schema.ts';

export type Role = 'admin' | 'viewer';

export interface Principal {
  name: string;
  role: Role;
  kind: 'anonymous' | 'user' | 'token' | 'agent';
  /** Agent tokens: the one host this token may publish as (docs/architecture.md#agent). */
  host?: string;
}

export class AuthConfigError extends Error {}

/** Where a request may carry credentials (Skydive clients use all of these). */
export interface CredentialSources {
  cookie?: string | undefined;
  authorization?: string | undefined;
  xAuthToken?: string | undefined;
  queryToken?: string | undefined;
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export class Auth {
  readonly enabled: boolean;
  private readonly users: { name: string; hash?: string; password?: string; role: Role }[];
  private readonly tokens: { token: string; role: Role }[];
  private readonly agentTokens: { token: string; host?: string | undefined }[];
  private readonly sessions = new Map<string, { principal: Principal; expires: number }>();
  private readonly sessionTtlMs: number;

  constructor(cfg: Pick<CanopyConfig, 'auth' | 'agents' | 'api'>, log?: Logger) {
    this.users = cfg.auth.users.map((u) => ({ name: u.name, hash: u.passwordHash, password: u.password, role: u.role }));
    this.tokens = cfg.auth.tokens;
    this.agentTokens = cfg.agents.tokens;
    this.sessionTtlMs = cfg.auth.sessionTtl * 1000;
    const loopbackOnly = listenList(cfg.api.listen).every((l) => isLoopback(parseListen(l).host));
    const hasCredentials = this.users.length + this.tokens.length + this.agentTokens.length > 0;
    // Agent tokens count (docs/architecture.md#http-api): with only them, auth is on and nothing but
    // /ws/agent accepts any credential, so exposing the API for agents opens nothing else.
    if (!loopbackOnly && !hasCredentials) {
      throw new AuthConfigError(
        `api.listen ${JSON.stringify(cfg.api.listen)} is not loopback-only and no auth.users or auth.tokens are configured: ` +
          'add a user (auth.users: [{name, passwordHash, role: admin}]) or listen on 127.0.0.1',
      );
    }
    this.enabled = hasCredentials || !loopbackOnly;
    for (const u of this.users)
      if (u.password) log?.warn({ user: u.name }, 'auth.users entry has a plain-text password; use passwordHash (bcrypt)');
  }

  /** Checks a name/password pair (login form or Basic auth). */
  checkPassword(name: string, password: string): Principal | undefined {
    const u = this.users.find((x) => x.name === name);
    if (!u) return undefined;
    const ok = u.hash ? bcrypt.compareSync(password, u.hash) : safeEqual(u.password ?? '', password);
    return ok ? { name: u.name, role: u.role, kind: 'user' } : undefined;
  }

  login(name: string, password: string): { token: string; principal: Principal } | undefined {
    const p = this.checkPassword(name, password);
    if (!p) return undefined;
    const token = randomBytes(24).toString('hex');
    this.sessions.set(token, { principal: p, expires: Date.now() + this.sessionTtlMs });
    return { token, principal: p };
  }

  logout(token: string): void {
    this.sessions.delete(token);
  }

  private tokenPrincipal(token: string, allowAgent: boolean): Principal | undefined {
    const s = this.sessions.get(token);
    if (s) {
      if (s.expires > Date.now()) return s.principal;
      this.sessions.delete(token);
    }
    const t = this.tokens.find((x) => safeEqual(x.token, token));
    if (t) return { name: 'token', role: t.role, kind: 'token' };
    const a = allowAgent ? this.agentTokens.find((x) => safeEqual(x.token, token)) : undefined;
    if (a) return { name: a.host ? `agent.${a.host}` : 'agent', role: 'admin', kind: 'agent', ...(a.host ? { host: a.host } : {}) };
    return undefined;
  }

  /** The principal for a request, or undefined when credentials are missing/wrong (auth on). */
  authenticate(src: CredentialSources, opts: { allowAgentToken?: boolean } = {}): Principal | undefined {
    if (!this.enabled) return { name: 'anonymous', role: 'admin', kind: 'anonymous' };
    const allowAgent = opts.allowAgentToken ?? false;
    const authz = src.authorization?.trim();
    if (authz) {
      const [scheme, value = ''] = authz.split(/\s+/, 2);
      if (scheme?.toLowerCase() === 'basic') {
        const decoded = Buffer.from(value, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i >= 0) return this.checkPassword(decoded.slice(0, i), decoded.slice(i + 1));
        return undefined;
      }
      if (scheme?.toLowerCase() === 'bearer') return this.tokenPrincipal(value, allowAgent);
    }
    for (const t of [src.xAuthToken, src.queryToken, src.cookie]) {
      if (t) {
        const p = this.tokenPrincipal(t, allowAgent);
        if (p) return p;
      }
    }
    return undefined;
  }
}

/** Reads the authtoken cookie from a Cookie header. */
export function cookieToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'authtoken') return decodeURIComponent(v.join('='));
  }
  return undefined;
}
