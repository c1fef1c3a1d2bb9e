#!/usr/bin/env node
// A source checkout (src/cli.ts present) runs the TypeScript directly through tsx, so a fresh clone
// works after `npm ci` with no build step and never runs a stale dist/. The published package ships
// no TypeScript: it runs the compiled dist/cli.js and needs no tsx at run time.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const source = new URL('../src/cli.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import('../dist/cli.js'));
}
process.exitCode = await main(process.argv.slice(2));
