// Sender process for ingest benches: replays datagram templates (bench/lib/datagram-stream.ts) to
// HOST:PORT at RATE datagrams/s for SECONDS, rewriting the flow keys inside each record.
// Keys: by default the stream carries KEYS_PER_MINUTE distinct keys per minute (a new key every so
// many records, as real traffic mixes long and short flows); with --distinct N every record gets a
// key never sent before and the sender stops once N keys are out (SECONDS is then a cap).
// IPFIX template messages go out first and again every --template-every seconds (default 2).
// Prints {"sent": N, "seconds": S, "keys": K, "keysWritten": W} on exit (`sent` counts every datagram).
// Usage: tsx bench/lib/udp-sender.ts FILE.json HOST PORT RATE SECONDS [KEYS_PER_MINUTE] [--distinct N] [--template-every S]
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { parseFlags } from '../../src/util/args.ts';
import { DatagramStream, fromSflow, type SflowTemplate, type StreamTemplate } from './datagram-stream.ts';

const { values, positionals } = parseFlags(process.argv.slice(2), {
  distinct: { type: 'string' },
  'template-every': { type: 'string' },
});
const [file, host, portText, rateText, secondsText, keysText] = positionals;
const raw = JSON.parse(readFileSync(file!, 'utf8')) as (StreamTemplate | SflowTemplate)[];
const templates = raw.map((t) => ('slots' in t ? t : fromSflow(t)));
const port = Number(portText);
const rate = Number(rateText);
const seconds = Number(secondsText);
const distinct = values.distinct === undefined ? undefined : Number(values.distinct);
const templateEvery = Number(values['template-every'] ?? 2) * 1000;
const stream = new DatagramStream(
  templates,
  distinct !== undefined ? { mode: 'distinct', keys: distinct } : { mode: 'rotate', keysPerMinute: Number(keysText ?? 120_000), rate },
);
const sock = dgram.createSocket('udp4');
sock.on('error', () => undefined);
let sent = 0;
let data = 0;
let start = 0;
let end = 0;
let nextTemplates = 0;
const TICK_MS = 2;

function finish(now: number): void {
  sock.close();
  const out = { sent, seconds: (now - start) / 1000, keys: stream.distinctKeys, keysWritten: stream.keysWritten };
  process.stdout.write(JSON.stringify(out) + '\n');
}

function tick(): void {
  const now = performance.now();
  if (start === 0) {
    start = now;
    end = start + seconds * 1000;
    nextTemplates = start;
  }
  if (now >= end || (distinct !== undefined && stream.keysWritten >= distinct)) return finish(now);
  const unix = Math.floor(Date.now() / 1000);
  if (now >= nextTemplates) {
    for (const b of stream.templateDatagrams(unix)) {
      sock.send(b, port, host);
      sent++;
    }
    nextTemplates = now + templateEvery;
  }
  // The rate counts data datagrams; template messages ride on top (a few per period).
  const due = Math.floor(((now - start) / 1000) * rate);
  while (data < due && !(distinct !== undefined && stream.keysWritten >= distinct)) {
    // The stream rewrites its buffers in place; a send the kernel cannot take at once keeps a
    // reference, so in --distinct mode (where every key must reach the wire) send a copy.
    const b = stream.nextDatagram(unix);
    sock.send(distinct !== undefined ? Buffer.from(b) : b, port, host);
    sent++;
    data++;
  }
  setTimeout(tick, TICK_MS);
}
// Bound first so that no send waits in dgram's pre-bind queue holding a buffer about to be rewritten.
sock.bind(0, tick);
