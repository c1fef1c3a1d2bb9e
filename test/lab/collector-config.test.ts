// The collector config `canopy lab up` writes: valid for `canopy collector --check`, and in
// agreement with what the lab's daemons are configured to do (snmpd's trap2sink and credentials,
// the exporters' targets), whatever --collector / --*-port say. Runs anywhere (no root needed):
// the lab is planned, not built; test/lab/acceptance.test.ts runs a collector on the real thing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { labCollectorConfigText, labHints } from '../../src/lab/collector-config.ts';
import { snmpdConf } from '../../src/lab/configs.ts';
import { planLab, type LabOptions } from '../../src/lab/state.ts';
import { parseTopology } from '../../src/lab/topology.ts';
import { defaultConfig, loadConfig } from '../../src/config/load.ts';

const FABRIC = 'containerlab/fabric.clab.yml';
const dir = mkdtempSync(join(tmpdir(), 'canopy-labcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function plan(opts: LabOptions = {}) {
  const { topo, state } = planLab(parseTopology(readFileSync(FABRIC, 'utf8')), FABRIC, { stateDir: join(dir, 'state'), ...opts });
  const text = labCollectorConfigText(state, topo);
  const file = join(dir, `collector-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, text);
  return { topo, state, text, file };
}

const trapSink = (conf: string) => /^trap2sink (\S+):(\d+) (\S+)$/m.exec(conf);

describe('the collector config written by canopy lab up', () => {
  it('passes `canopy collector --config F --check` (the real CLI)', () => {
    const { file } = plan();
    const out = execFileSync(process.execPath, ['bin/canopy.js', 'collector', '--config', file, '--check'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(out).toContain('config OK');
  });

  it('with the defaults, the lab snmpd sends traps to the port the collector listens on by default', () => {
    const { state } = plan();
    const sink = trapSink(snmpdConf(state, state.nodes.leaf1!))!;
    expect(sink[1]).toBe(state.collector.address);
    // The collector's own default trap port, so even a collector started without this file hears them.
    const defaultPort = Number(String(defaultConfig().snmp.traps.listen).split(':').pop());
    expect(Number(sink[2])).toBe(defaultPort);
  });

  it.each([
    ['defaults', {}],
    [
      '--collector and every port moved',
      { collector: '10.77.255.9', sflowPort: 16343, netflowPort: 12055, ipfixPort: 14739, trapPort: 19162 },
    ],
    ['--subnet-base', { subnetBase: '10.123' }],
  ] as [string, LabOptions][])('listeners, devices and credentials agree with the lab daemons (%s)', (_name, opts) => {
    const { state, file } = plan(opts);
    const cfg = loadConfig({ file, env: {} });
    const c = state.collector;
    expect(cfg.sflow).toMatchObject({ enabled: true, listen: `${c.address}:${c.sflowPort}` });
    expect(cfg.netflow).toMatchObject({ enabled: true, listen: `${c.address}:${c.netflowPort}` });
    expect(cfg.ipfix).toMatchObject({ enabled: true, listen: `${c.address}:${c.ipfixPort}` });
    expect(cfg.api.listen).toBe('127.0.0.1:8082');
    expect(cfg.storage.dataDir.startsWith(state.stateDir)).toBe(true);
    const switches = Object.values(state.nodes).filter((n) => n.role === 'switch');
    expect(cfg.snmp.devices.map((d) => `${d.name}@${d.address}:${d.port}/${d.version}`)).toEqual(
      switches.map((n) => `${n.name}@${n.mgmtIp}:161/3`),
    );
    for (const n of switches) {
      const conf = snmpdConf(state, n);
      // Every switch's snmpd targets the trap listener with a community the listener accepts.
      const sink = trapSink(conf)!;
      expect(cfg.snmp.traps.listen).toBe(`${sink[1]}:${sink[2]}`);
      expect(cfg.snmp.traps.communities).toContain(sink[3]);
      // and answers the credentials the devices will be polled with.
      const v3 = cfg.snmp.credentials.find((x) => x.version === '3')!;
      expect(conf).toContain(
        `createUser ${v3.user} ${v3.authProtocol!.toUpperCase()} "${v3.authKey}" ${v3.privProtocol!.toUpperCase()} "${v3.privKey}"`,
      );
      const v2 = cfg.snmp.credentials.find((x) => x.version === '2c')!;
      expect(conf).toContain(`rocommunity ${v2.community} default`);
      expect(conf).toContain(`agentaddress udp:${n.mgmtIp}:161`);
      expect(v3.subnet).toBe(state.mgmtSubnet);
    }
  });

  it('a lab without flow exporters gets no flow listeners', () => {
    const { topo, state } = planLab(parseTopology(readFileSync('containerlab/ovs.clab.yml', 'utf8')), 'containerlab/ovs.clab.yml', {
      stateDir: join(dir, 'ovs'),
    });
    const cfg = parse(labCollectorConfigText(state, topo)) as {
      sflow: { enabled: boolean };
      netflow: { enabled: boolean };
      ipfix: { enabled: boolean };
    };
    expect([cfg.sflow.enabled, cfg.netflow.enabled, cfg.ipfix.enabled]).toEqual([topo.nodes.some((n) => n.sflow), false, false]);
  });

  it('the hints name the start command, the config, and a forward with the same options', () => {
    const { state } = plan({ prefix: 'x1-', collector: '10.77.255.9' });
    const hints = labHints(state, FABRIC, ['--prefix', 'x1-', '--collector', '10.77.255.9']).join('\n');
    expect(hints).toContain(`ip netns exec x1-mgmt node bin/canopy.js collector --config ${join(state.stateDir, 'collector.yml')}`);
    expect(hints).toContain(`lab forward ${FABRIC} --prefix x1- --collector 10.77.255.9 --listen 127.0.0.1:8082`);
  });
});
