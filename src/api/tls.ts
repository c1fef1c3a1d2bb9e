// api.tls: the PEM files behind HTTPS/WSS, read and checked once at start-up so a bad path or file
// stops the collector with the key, the file and the reason rather than failing on the first client.
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';

export interface ApiTls {
  cert: Buffer;
  key: Buffer;
}

export class ApiTlsError extends Error {}

function read(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ApiTlsError(`${key}: cannot read ${path}: ${(e as Error).message}`);
  }
}

function check(key: string, path: string, fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (e) {
    throw new ApiTlsError(`${key}: ${path} is not ${what}: ${(e as Error).message}`);
  }
}

export function loadApiTls(cfg: { cert: string; key: string } | undefined): ApiTls | undefined {
  if (!cfg) return undefined;
  const cert = read('api.tls.cert', cfg.cert);
  const key = read('api.tls.key', cfg.key);
  check('api.tls.cert', cfg.cert, () => new X509Certificate(cert), 'a PEM certificate');
  check('api.tls.key', cfg.key, () => createPrivateKey(key), 'a PEM private key');
  check('api.tls.key', cfg.key, () => createSecureContext({ cert, key }), `the private key of ${cfg.cert}`);
  return { cert, key };
}
