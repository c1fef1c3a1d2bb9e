// Static serving of the built UI (dist/ui): content types, caching (hashed assets forever,
// index.html revalidated by ETag) and a 503 page naming the fix when the build is missing.
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_UI_DIR = resolve(fileURLToPath(new URL('../../dist/ui', import.meta.url)));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Paths the API owns: never answered from the UI directory. */
const API_PREFIXES = ['/api/', '/ws/', '/metrics', '/healthz', '/login', '/logout'];

export const MISSING_BUILD_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Canopy: UI not built</title>
<style>body{background:#0b1016;color:#e8edf2;font:18px/1.5 system-ui,sans-serif;display:flex;align-items:center;justify-content:center;height:100vh;margin:0}
code{background:#1d2833;padding:2px 8px;border-radius:4px}</style></head>
<body><div><h1>The web UI has not been built</h1><p>Run <code>npm run build:ui</code> (or <code>npm start</code>, which builds it when missing), then reload.</p>
<p>The API is up: <a style="color:#3ea6ff" href="/api/status">/api/status</a></p></div></body></html>`;

export class StaticUi {
  readonly dir: string;

  constructor(dir: string = DEFAULT_UI_DIR) {
    this.dir = resolve(dir);
  }

  get built(): boolean {
    return existsSync(join(this.dir, 'index.html'));
  }

  /** A response for UI paths (GET/HEAD), or undefined to let the API handle the request. */
  async handle(req: Request): Promise<Response | undefined> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (API_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`))) return undefined;
    const isIndex = path === '/' || path === '/index.html';
    if (isIndex && !this.built) {
      return new Response(req.method === 'HEAD' ? null : MISSING_BUILD_PAGE, {
        status: 503,
        headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Retry-After': '10' },
      });
    }
    const rel = isIndex ? 'index.html' : normalize(path).replace(/^[/\\]+/, '');
    const file = resolve(this.dir, rel);
    if (!file.startsWith(this.dir + sep)) return undefined;
    let st;
    try {
      st = await stat(file);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const hashed = rel.startsWith('assets/');
    const headers: Record<string, string> = {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      ETag: etag,
      'X-Content-Type-Options': 'nosniff',
    };
    if (req.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
    headers['Content-Length'] = String(st.size);
    return new Response(req.method === 'HEAD' ? null : await readFile(file), { status: 200, headers });
  }
}
