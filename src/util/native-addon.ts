// The project's native addons (binding.gyp → build/Release/*.node): loaded once, on first use; a
// missing or unloadable addon is not an error here — callers fall back and say why.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

export interface NativeAddon<T> {
  /** The addon, or undefined when it cannot be used (`error()` says why). */
  load(): T | undefined;
  error(): string | undefined;
}

/** `file` under build/Release; `needs` is what building it takes, for the error text. */
export function nativeAddon<T>(file: string, needs: string): NativeAddon<T> {
  const path = resolve(import.meta.dirname, '../../build/Release', file);
  let mod: T | null | undefined;
  let why: string | undefined;
  const load = (): T | undefined => {
    if (mod === undefined) {
      mod = null;
      if (process.platform !== 'linux') why = 'not Linux';
      else if (!existsSync(path)) why = `${path} not built (${needs})`;
      else {
        try {
          mod = createRequire(import.meta.url)(path) as T;
        } catch (err) {
          why = (err as Error).message;
        }
      }
    }
    return mod ?? undefined;
  };
  return {
    load,
    error: () => {
      load();
      return why;
    },
  };
}
