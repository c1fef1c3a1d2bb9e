// Debian's Chromium driven by playwright-core (no downloaded browser). Launch flags keep it off
// the network: this machine's closed network refuses Chromium's background connections.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumMissing = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`;

/**
 * A fresh headless Chromium, or undefined if missing. playwright's launch() gives every browser a
 * new empty profile dir of its own (it refuses --user-data-dir), which is the fresh profile we want.
 */
export async function launchChromium(): Promise<Browser | undefined> {
  if (chromiumMissing) return undefined;
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
