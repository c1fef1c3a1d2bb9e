// Debian's Chromium driven by playwright-core (no downloaded browser). Launch flags keep it off
// the network: this machine's closed network refuses Chromium's background connections.
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumMissing = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`;

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * A fresh headless Chromium, or undefined if missing. playwright's launch() gives every browser a
 * new empty profile dir of its own (it refuses --user-data-dir), which is the fresh profile we want.
 */
export async function launchChromium(): Promise<Browser | undefined> {
  if (chromiumMissing) return undefined;
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/**
 * Chromium inside a network namespace (a lab's management namespace, whose 127.0.0.1 is the
 * collector's): a wrapper script in `dir` runs it through `ip netns exec`; the DevTools pipe
 * survives that.
 */
export async function launchChromiumIn(ns: string, dir: string): Promise<Browser | undefined> {
  if (chromiumMissing) return undefined;
  const wrapper = join(dir, `chromium-in-${ns}.sh`);
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return chromium.launch({ executablePath: wrapper, headless: true, args: FLAGS });
}
