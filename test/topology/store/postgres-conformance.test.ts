// The storage conformance suite on PostgreSQL: one real server for this file, a fresh database per
// case (reopened for the restart cases). Skips with the reason when postgresql is not installed.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { openPostgresStorage } from '../../../src/topology/store/postgres-storage.ts';
import { postgresMissing, startPostgres, type PostgresServer } from '../../support/postgres-server.ts';
import { describeConformance } from './conformance.ts';

if (postgresMissing) {
  describe.skip(`storage conformance: postgres (${postgresMissing})`, () => it('skipped'));
} else {
  let server: PostgresServer;
  let n = 0;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(() => server?.stop());
  describeConformance('postgres', (now) => {
    const db = `conformance_${++n}`;
    const url = server.createDatabase(db);
    return {
      open: () => openPostgresStorage({ url, now }),
      destroy: () => server.dropDatabase(db),
    };
  });
}
