import { z } from 'zod';
import { durationSeconds, section } from '../config/common.ts';
import { parseFabricLine } from './fabric-dsl.ts';

export const storageSection = section({
  dataDir: z.string().min(1).default('./data'),
  /** How long archived revisions and deleted elements are kept (DESIGN §3: 7 days). */
  retention: durationSeconds.default(7 * 86400),
  pruneInterval: durationSeconds.default(3600),
  /** Flow-table entries are flushed to SQLite this often (DESIGN §8: 10 s). */
  flowFlushInterval: durationSeconds.default(10),
  /** Entries the in-memory flow table holds before it flushes early. */
  flowTableSize: z.number().int().positive().default(200_000),
  /** How long flushed flow-table entries are kept (DESIGN §8: 1 h). */
  flowWindow: durationSeconds.default(3600),
  /** How long 1-minute flow rollups are kept (DESIGN §8: 7 d). */
  flowRollupRetention: durationSeconds.default(7 * 86400),
  /** Port counters from flow exporters update the graph at most this often per port. */
  counterUpdateInterval: durationSeconds.default(10),
});

export const topologySection = section({
  /** Static fabric DSL lines (DESIGN §9). */
  fabric: z
    .array(
      z.string().min(1).superRefine((line, ctx) => {
        try {
          parseFabricLine(line);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message });
        }
      }),
    )
    .default([]),
  /** Links DOWN for this long are removed (DESIGN §5: aged out, never on the first missed poll). */
  linkRetention: durationSeconds.default(86400),
  /** Switch roles by name pattern (regular expressions), DESIGN §11. */
  roles: z.record(z.string(), z.enum(['spine', 'leaf', 'border', 'switch'])).default({}),
});
