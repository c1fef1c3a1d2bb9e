// SNMPv3 User-based Security Model (RFC 3414, SHA-2 per RFC 7860, AES per RFC 3826) for the
// simulator's own engine: key localisation, HMAC check/sign, AES-CFB encrypt/decrypt.
// DES is left out: Node 20's OpenSSL 3 only has it with the legacy provider.
import { createCipheriv, createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type AuthProtocol = 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
export type PrivProtocol = 'aes' | 'aes256b' | 'aes256r';

export interface V3UserConfig {
  name: string;
  authProtocol: AuthProtocol;
  authKey: string;
  privProtocol?: PrivProtocol;
  privKey?: string;
}

const AUTH: Record<AuthProtocol, { hash: string; macLen: number }> = {
  md5: { hash: 'md5', macLen: 12 },
  sha: { hash: 'sha1', macLen: 12 },
  sha224: { hash: 'sha224', macLen: 16 },
  sha256: { hash: 'sha256', macLen: 24 },
  sha384: { hash: 'sha384', macLen: 32 },
  sha512: { hash: 'sha512', macLen: 48 },
};

const PRIV: Record<PrivProtocol, { cipher: string; keyLen: number }> = {
  aes: { cipher: 'aes-128-cfb', keyLen: 16 },
  aes256b: { cipher: 'aes-256-cfb', keyLen: 32 },
  aes256r: { cipher: 'aes-256-cfb', keyLen: 32 },
};

/** RFC 3414 A.2: hash 1 MiB of the repeated password, then localise with the engine ID. */
export function localizedKey(hash: string, password: string | Buffer, engineId: Buffer): Buffer {
  const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const block = Buffer.alloc(1048576, pw);
  const ku = createHash(hash).update(block).digest();
  return createHash(hash).update(ku).update(engineId).update(ku).digest();
}

export interface LocalizedUser {
  name: string;
  auth: { hash: string; macLen: number; key: Buffer };
  priv: { cipher: string; key: Buffer } | null;
}

export function localizeUser(u: V3UserConfig, engineId: Buffer): LocalizedUser {
  const a = AUTH[u.authProtocol];
  const authKey = localizedKey(a.hash, u.authKey, engineId);
  let priv: LocalizedUser['priv'] = null;
  if (u.privProtocol) {
    const p = PRIV[u.privProtocol];
    let key = localizedKey(a.hash, u.privKey ?? u.authKey, engineId);
    // AES-256 needs more key than SHA-1/MD5 give: Blumenthal appends H(key), Reeder re-localises the key.
    while (key.length < p.keyLen) {
      key = Buffer.concat([
        key,
        u.privProtocol === 'aes256b' ? createHash(a.hash).update(key).digest() : localizedKey(a.hash, key, engineId),
      ]);
    }
    priv = { cipher: p.cipher, key: key.subarray(0, p.keyLen) };
  }
  return { name: u.name, auth: { ...a, key: authKey }, priv };
}

/** HMAC over the whole message with the auth parameters field zeroed (the caller zeroes it). */
export function computeMac(user: LocalizedUser, wholeMsg: Uint8Array): Buffer {
  return createHmac(user.auth.hash, user.auth.key).update(wholeMsg).digest().subarray(0, user.auth.macLen);
}

export function macMatches(user: LocalizedUser, wholeMsgZeroed: Uint8Array, mac: Uint8Array): boolean {
  if (mac.length !== user.auth.macLen) return false;
  return timingSafeEqual(computeMac(user, wholeMsgZeroed), mac);
}

function aesIv(boots: number, time: number, salt: Uint8Array): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(boots >>> 0, 0);
  iv.writeUInt32BE(time >>> 0, 4);
  iv.set(salt.subarray(0, 8), 8);
  return iv;
}

/** AES-CFB decryption; null when the salt has the wrong size. */
export function decryptScoped(user: LocalizedUser, boots: number, time: number, salt: Uint8Array, data: Uint8Array): Buffer | null {
  if (!user.priv || salt.length !== 8) return null;
  const d = createDecipheriv(user.priv.cipher, user.priv.key, aesIv(boots, time, salt));
  return Buffer.concat([d.update(data), d.final()]);
}

export function encryptScoped(user: LocalizedUser, boots: number, time: number, salt: Uint8Array, data: Uint8Array): Buffer {
  const c = createCipheriv(user.priv!.cipher, user.priv!.key, aesIv(boots, time, salt));
  return Buffer.concat([c.update(data), c.final()]);
}
