// Sender process for ingest benches: replays datagram templates to HOST:PORT at RATE datagrams/s
// for SECONDS, rewriting IPv4 addresses and L4 ports inside each sampled header so the stream
// carries KEYS_PER_MINUTE distinct flow keys per minute (a new key every so many records, as
// real traffic mixes long and short flows). Prints {"sent": N, "seconds": S, "keys": K} on exit.
// Usage: tsx bench/lib/udp-sender.ts FILE.json HOST PORT RATE SECONDS [KEYS_PER_MINUTE]
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';

interface Template {
  hex: string;
  rewrite: number[];
}

const [file, host, portText, rateText, secondsText, keysText] = process.argv.slice(2);
const templates = (JSON.parse(readFileSync(file!, 'utf8')) as Template[]).map((t) => ({
  buf: Buffer.from(t.hex, 'hex'),
  rewrite: t.rewrite,
}));
const port = Number(portText);
const rate = Number(rateText);
const seconds = Number(secondsText);
const sock = dgram.createSocket('udp4');
sock.on('error', () => undefined);
let sent = 0;
let key = 0;
let records = 0;
const keysPerMinute = Number(keysText ?? 120_000);
const perRecord = templates.reduce((s, t) => s + t.rewrite.length / 2, 0) / templates.length;
/** Records per distinct key so that keysPerMinute keys appear each minute at this rate. */
const recordsPerKey = Math.max(1, Math.floor((rate * perRecord * 60) / keysPerMinute));
const start = performance.now();
const end = start + seconds * 1000;
const TICK_MS = 2;

function tick(): void {
  const now = performance.now();
  if (now >= end) {
    sock.close();
    process.stdout.write(JSON.stringify({ sent, seconds: (now - start) / 1000, keys: key + 1 }) + '\n');
    return;
  }
  const due = Math.floor(((now - start) / 1000) * rate);
  while (sent < due) {
    const t = templates[sent % templates.length]!;
    // Each offset points at an IPv4 source address; dst follows, then the L4 ports (offset in rewrite+1).
    for (let i = 0; i < t.rewrite.length; i += 2) {
      const a = t.rewrite[i]!;
      const l4 = t.rewrite[i + 1]!;
      if (++records % recordsPerKey === 0) key = (key + 1) % 16_000_000;
      t.buf.writeUInt32BE((0x0a000000 | (key & 0xffff)) >>> 0, a);
      t.buf.writeUInt32BE((0x0b000000 | (key >>> 4)) >>> 0, a + 4);
      if (l4 > 0) {
        t.buf.writeUInt16BE(1024 + (key % 50_000), l4);
        t.buf.writeUInt16BE(443, l4 + 2);
      }
    }
    sock.send(t.buf, port, host);
    sent++;
  }
  setTimeout(tick, TICK_MS);
}
tick();
