// The effective config with its secrets masked, for `--print-config` and anything else that shows
// a config: SNMP communities and v3 keys, passwords and their hashes, API and agent tokens.

/** Keys whose string values (or arrays of strings) are secrets wherever they appear. */
const SECRET_KEYS = new Set(['community', 'communities', 'authKey', 'privKey', 'password', 'passwordHash', 'token', 'tokens']);
export const MASK = '***';

export function redactSecrets<T>(value: T, key?: string): T {
  const secret = key !== undefined && SECRET_KEYS.has(key);
  if (typeof value === 'string') return (secret ? MASK : value) as T;
  // Elements of an array take their array's key: `communities: [a, b]`, `tokens: [bare-token]`.
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, key)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, k)])) as T;
  return value;
}
