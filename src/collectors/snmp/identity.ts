// Switch identity (docs/architecture.md#identity): LLDP local chassis ID, else sysName, else the polled address. The
// first ID a device gets stays its ID (alias `snmp-device:<address:port>`); every discriminator
// seen is recorded in the alias table so other writers find the same node.
import { ids } from '../../topology/ids.ts';
import type { GraphTx } from '../../topology/store/graph-store.ts';
import { canonicalId } from '../../topology/merge.ts';

export interface Discriminators {
  chassis?: { subtype: number; id: string } | null;
  sysName?: string | null;
  /** Target key "address:port". */
  address: string;
}

/** Alias keys other writers may consult (stable strings; the stitcher uses them too). */
export const aliasKey = {
  device: (targetKey: string) => `snmp-device:${targetKey}`,
  chassis: (subtype: number, id: string) => `switch:chassis:${subtype}:${id.toLowerCase()}`,
  sysName: (name: string) => `switch:sysname:${name.toLowerCase()}`,
  address: (address: string) => `switch:addr:${address}`,
};

export interface IdentityResult {
  id: string;
  /** Discriminator keys that already named another device's switch (not re-pointed). */
  conflicts: string[];
}

function candidates(d: Discriminators): { key: string; id: string }[] {
  const out: { key: string; id: string }[] = [];
  if (d.chassis && d.chassis.id)
    out.push({ key: aliasKey.chassis(d.chassis.subtype, d.chassis.id), id: ids.switchByChassis(d.chassis.subtype, d.chassis.id) });
  if (d.sysName) out.push({ key: aliasKey.sysName(d.sysName), id: ids.switchBySysName(d.sysName) });
  out.push({ key: aliasKey.address(d.address), id: ids.switchByAddress(d.address) });
  return out;
}

/**
 * claimedByOther(id) tells whether another polled device already owns that switch ID: two
 * devices answering with the same sysName (anonymised walks, factory defaults) stay two switches.
 */
export function resolveSwitchId(tx: GraphTx, d: Discriminators, claimedByOther: (id: string) => boolean): IdentityResult {
  const own = aliasKey.device(d.address);
  const cands = candidates(d);
  let id = tx.resolveAlias(own);
  if (!id) {
    for (const c of cands) {
      const a = tx.resolveAlias(c.key);
      if (a && !claimedByOther(a)) {
        id = a;
        break;
      }
    }
  }
  if (!id) id = cands.find((c) => !claimedByOther(c.id))?.id ?? cands[cands.length - 1]!.id;
  // An ID folded into another node since it was recorded: write where that node lives now.
  id = canonicalId(tx, id);
  tx.setAlias(own, id);
  const conflicts: string[] = [];
  for (const c of cands) {
    const a = tx.resolveAlias(c.key);
    if (!a) tx.setAlias(c.key, id);
    else if (a !== id) conflicts.push(c.key);
  }
  return { id, conflicts };
}
