// `npm start`'s prestart (and `npm run demo`'s first step): builds the UI when dist/ui is missing
// or older than its sources, so `npm ci && npm start` gives a working UI on a fresh clone.
import { ensureUiBuilt } from './build.ts';

await ensureUiBuilt((s) => process.stdout.write(s + '\n'));
