// Capture process for the live port-mirror bench, run inside the capture namespace: captures
// IFACE with ENGINE (`native`: the project's pcap_batch addon; `cap`: the npm cap package), every
// frame through the same conversation table, until SIGTERM; prints "ready" once capturing, then
// {"frames", "kernelDrops"} (kernelDrops -1: the engine cannot tell).
// Usage: tsx bench/lib/mirror-capture-child.ts ENGINE IFACE
import { createRequire } from 'node:module';
import { ConversationTable } from '../../src/collectors/mirror/conversations.ts';
import { LiveCapture } from '../../src/collectors/mirror/pcap-batch.ts';

const [engine, iface] = process.argv.slice(2);
const table = new ConversationTable(1_000_000, () => {});
let frames = 0;
let drops = (): number => -1;
let close = () => {};
if (engine === 'native') {
  const c = new LiveCapture({ interface: iface!, filter: 'ip', snaplen: 256, bufferBytes: 8 * 1024 * 1024, promisc: true });
  c.start((lt, data, wire, ts) => {
    frames++;
    table.add(lt, data, wire, ts);
  });
  drops = () => c.counters().kernelDrops;
  close = () => c.close();
} else {
  interface CapLike {
    open(device: string, filter: string, bufSize: number, buf: Buffer): string;
    on(ev: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
    close(): void;
  }
  const { Cap } = createRequire(import.meta.url)('cap') as { Cap: new () => CapLike };
  const c = new Cap();
  const buf = Buffer.alloc(65_535);
  c.open(iface!, 'ip', 8 * 1024 * 1024, buf);
  // cap hands out neither timestamps nor the wire length: the captured length stands in for both.
  c.on('packet', (n) => {
    frames++;
    table.add(1, buf.subarray(0, n), n, Date.now());
  });
  close = () => c.close();
}
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  const d = drops();
  close();
  process.stdout.write(JSON.stringify({ frames, kernelDrops: d }) + '\n');
  process.exit(0);
});
