// The port-mirror component (docs/architecture.md#port-mirror-capture): one capture engine per
// `mirror.interfaces` entry, their flows into the flow pipeline attributed to the mirrored port,
// drops (kernel ring overflow, NIC drops, table evictions) in /metrics and /api/status.
import type { Component, ComponentContext } from '../../component/contract.ts';
import { counter, gauge, preset } from '../../util/metrics.ts';
import type { FlowPipeline } from '../flows/pipeline.ts';
import { CaptureEngine } from './engine.ts';
import { exporterOf, PipelineSink } from './sink.ts';

export function createMirrorComponent(ctx: ComponentContext, pipeline: FlowPipeline): Component | undefined {
  const cfg = ctx.config.mirror;
  if (cfg.interfaces.length === 0) return undefined;
  const log = ctx.log.child({ component: 'mirror' });
  const frames = counter(ctx.registry, 'canopy_mirror_frames_total', 'Frames captured on port-mirror interfaces', ['interface']);
  const bytes = counter(ctx.registry, 'canopy_mirror_bytes_total', 'Bytes (length on the wire) captured on port-mirror interfaces', [
    'interface',
  ]);
  const drops = counter(
    ctx.registry,
    'canopy_mirror_drops_total',
    'Port-mirror losses: kernel (capture ring full), interface (NIC drops), eviction (conversation table full; counts exported early)',
    ['interface', 'reason'],
  );
  const conversations = gauge(ctx.registry, 'canopy_mirror_conversations', 'Conversations in the port-mirror tables', ['interface']);
  const m = pipeline.metrics;
  preset(m.records, { protocol: ['mirror'] });
  pipeline.presetFailures(['mirror']);
  const sink = PipelineSink.shared(pipeline);
  const engines: CaptureEngine[] = [];
  for (const i of cfg.interfaces) {
    const target = { device: i.device, port: i.port, direction: i.direction, ...(i.exporter ? { exporter: i.exporter } : {}) };
    const exporter = exporterOf(target, i.interface);
    sink.add(exporter, target);
    const label = { interface: i.interface };
    preset(frames, { interface: [i.interface] });
    preset(bytes, { interface: [i.interface] });
    preset(drops, { interface: [i.interface], reason: ['kernel', 'interface', 'eviction'] });
    const engine = new CaptureEngine(
      {
        interface: i.interface,
        netns: i.netns,
        filter: i.filter,
        snaplen: i.snaplen,
        bufferBytes: i.bufferSize,
        promisc: i.promisc,
        target,
        tableSize: cfg.tableSize,
        exportInterval: cfg.exportInterval,
        idleTimeout: cfg.idleTimeout,
      },
      (flows) => {
        sink.write(exporter, flows);
        m.records.inc({ protocol: 'mirror' }, flows.length);
      },
    );
    engine.onDeltas = (d) => {
      if (d.frames) frames.inc(label, d.frames);
      if (d.bytes) bytes.inc(label, d.bytes);
      if (d.kernelDrops > 0) drops.inc({ ...label, reason: 'kernel' }, d.kernelDrops);
      if (d.ifDrops > 0) drops.inc({ ...label, reason: 'interface' }, d.ifDrops);
      if (d.evictions) drops.inc({ ...label, reason: 'eviction' }, d.evictions);
      conversations.set(label, engine.table.size);
      if (d.kernelDrops > 0) log.warn({ interface: i.interface, dropped: d.kernelDrops }, 'capture ring overflowed; frames lost');
    };
    engines.push(engine);
  }

  return {
    name: 'mirror',
    async start() {
      const started: CaptureEngine[] = [];
      try {
        for (const e of engines) {
          e.start();
          started.push(e);
          log.info({ interface: e.opts.interface, netns: e.opts.netns, target: e.opts.target }, 'port-mirror capture started');
        }
      } catch (err) {
        for (const e of started) e.stop();
        throw err;
      }
    },
    async stop() {
      for (const e of engines) e.stop();
      sink.release();
    },
    status() {
      return { interfaces: engines.map((e) => e.status()), records: sink.records };
    },
  };
}
