// Debian's snmpsimd serving several devices, one per loopback address: snmpsimd numbers its
// `--agent-udpv4-endpoint`s 0, 1, … and, for a v1/v2c request with community C arriving on
// endpoint i, serves `C/1.3.6.1.6.1.1.i.snmprec` from its data directory (before `C.snmprec`) —
// in its `--v2c-arch` mode; the default (v3 architecture) registers that file as community
// "C/1.3.6.1.6.1.1.i" instead.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort, startSnmpsimd, type Snmpsimd } from '../sim/helpers.ts';

export async function startSnmpsimdEndpoints(devices: { address: string; text: string }[], community: string): Promise<Snmpsimd> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-snmpsimd-set-'));
  try {
    mkdirSync(join(dir, community));
    // Endpoint 0 is the helper's own 127.0.0.1 probe port: it serves device 0 again.
    writeFileSync(join(dir, community, '1.3.6.1.6.1.1.0.snmprec'), devices[0]!.text);
    devices.forEach((d, i) => writeFileSync(join(dir, community, `1.3.6.1.6.1.1.${i + 1}.snmprec`), d.text));
    const sim = await startSnmpsimd(dir, await freeUdpPort(), community, [
      '--v2c-arch',
      ...devices.map((d) => `--agent-udpv4-endpoint=${d.address}:161`),
    ]);
    return {
      ...sim,
      stop: async () => {
        await sim.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
