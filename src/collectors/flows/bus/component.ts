// The flow bus as a collector component (docs/scale-out.md, "Flow bus"): with `flows.bus: nats` it
// connects to NATS, makes sure the stream exists, and by `flows.role` turns this collector's
// flow-table flushes into published batches (inlet, both) and/or consumes the stream into this
// collector's flow store (writer, both). It starts after the flow pipeline and before the listeners
// that feed it, so on stop the listeners are quiet before the last flush is published.
import type { Component, ComponentSpec } from '../../../component/contract.ts';
import { FLOW_PIPELINE } from '../../../component/provisions.ts';
import { FlowBusWriter } from './bus-writer.ts';
import { closeLink, ensureStream, inletName, openLink, type NatsLink } from './nats-link.ts';
import { FlowPublisher } from './publisher.ts';

/** How long stop() waits for the last batches to be acknowledged. */
const DRAIN_MS = 5000;

export const flowBusComponent: ComponentSpec = {
  name: 'flowBus',
  enabled: (c) => c.flows.bus === 'nats',
  needs: [FLOW_PIPELINE],
  create(ctx, provided) {
    const pipeline = provided.get(FLOW_PIPELINE);
    const { role, nats: cfg } = ctx.config.flows;
    const log = ctx.log.child({ component: 'flowBus' });
    const inlet = inletName();
    let link: NatsLink | undefined;
    let publisher: FlowPublisher | undefined;
    let writer: FlowBusWriter | undefined;
    const component: Component = {
      name: 'flowBus',
      async start() {
        link = await openLink(cfg, `canopy ${inlet}`, log);
        try {
          await ensureStream(link, cfg);
          if (role !== 'writer') {
            const pub = (publisher = new FlowPublisher(link.js, cfg, inlet, ctx.registry, log));
            pipeline.setSink((entries) => pub.submit(entries));
          }
          if (role !== 'inlet') {
            writer = new FlowBusWriter(link, cfg, (entries) => pipeline.store.write(entries), ctx.registry, log);
            await writer.start();
          }
        } catch (e) {
          pipeline.setSink(undefined);
          await closeLink(link);
          throw e;
        }
        log.info({ url: cfg.url, stream: cfg.stream, role, inlet }, 'flow bus connected');
      },
      async stop() {
        if (publisher) {
          // The listeners stopped first: what the table holds now is the last of it.
          pipeline.flush();
          const left = await publisher.drain(DRAIN_MS);
          if (left > 0) log.warn({ batches: left }, 'flow batches not acknowledged by NATS at stop; dropped');
          pipeline.setSink(undefined);
          publisher.stop();
        }
        await writer?.stop();
        await closeLink(link);
        link = undefined;
      },
      status: () => ({
        url: cfg.url,
        role,
        inlet,
        connected: link ? !link.nc.isClosed() : false,
        ...(publisher
          ? {
              published: publisher.published,
              publishedEntries: publisher.publishedEntries,
              pending: publisher.pending,
              droppedEntries: publisher.droppedEntries,
              publishFailures: publisher.failures,
            }
          : {}),
        ...(writer
          ? {
              written: writer.batches,
              writtenEntries: writer.entries,
              duplicates: writer.duplicates,
              refused: writer.refused,
              writeFailures: writer.failures,
            }
          : {}),
      }),
    };
    return { component };
  },
};
