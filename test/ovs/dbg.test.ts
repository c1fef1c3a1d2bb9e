import { it } from 'vitest';
import { OvsdbClient } from '../../src/ovs/client.ts';
import { ovsdbSection } from '../../src/ovs/config.ts';
import { parseEndpoint } from '../../src/ovs/endpoint.ts';
import { OVS_COLUMNS } from '../../src/ovs/model.ts';
import { loadSession, startReplay } from './replay-server.ts';
it('dbg', async () => {
  const s = await startReplay(loadSession('monitor_cond.jsonl'));
  const c = new OvsdbClient(parseEndpoint(`unix:${s.path}`), ovsdbSection.parse({ reconnectMin: 10 }), OVS_COLUMNS, {
    onChange: () => {}, onClose: (r, d) => console.log('close', r, d), trace: (d, m) => console.log(d, JSON.stringify(m).slice(0, 200)) });
  c.start();
  await new Promise((r) => setTimeout(r, 1000));
  c.stop(); await s.close();
});
