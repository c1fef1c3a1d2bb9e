// One GET to a discovery candidate before it becomes a poll target: does an agent answer with one of
// the credentials `snmp.credentials` has for its subnet, and who is it (sysName, LLDP chassis ID), so
// that a device already polled at another address is not added twice.
import { SnmpClient, SnmpError } from './client.ts';
import type { Target } from './devices.ts';
import { O } from './oids.ts';
import { renderChassisId } from './parse-lldp.ts';
import { Problems, bufOf, intOf, strOf } from './values.ts';

export interface ProbeIdentity {
  sysName: string | null;
  chassis: { subtype: number; id: string } | null;
}

export interface ProbeOptions {
  timeoutMs: number;
  retries: number;
}

const OIDS = [O.sysName, O.lldpLocChassisIdSubtype, O.lldpLocChassisId, O.lldpV2LocChassisIdSubtype, O.lldpV2LocChassisId];

/**
 * The identity of the agent at `t`, or null when none of its credentials got an answer. v2c
 * communities are tried in order (a wrong community times out, like a silent device).
 */
export async function probe(t: Target, opts: ProbeOptions): Promise<ProbeIdentity | null> {
  const tries = t.version === '2c' ? t.communities : [undefined];
  for (const community of tries) {
    const c = new SnmpClient(t, community, { timeoutMs: opts.timeoutMs, retries: opts.retries, maxRepetitions: 1 });
    try {
      const vbs = await c.get(OIDS);
      return identityOf(vbs);
    } catch (e) {
      // An agent that answers with an error is there: it is added, and its poll status shows the error.
      if (e instanceof SnmpError && e.code === 'agent-error') return { sysName: null, chassis: null };
      if (!(e instanceof SnmpError)) throw e;
    } finally {
      c.close();
    }
  }
  return null;
}

function identityOf(vbs: Awaited<ReturnType<SnmpClient['get']>>): ProbeIdentity {
  const p = new Problems();
  const [name, sub1, id1, sub2, id2] = vbs;
  let chassis: ProbeIdentity['chassis'] = null;
  for (const [s, i] of [
    [sub1, id1],
    [sub2, id2],
  ] as const) {
    const subtype = intOf(s, p);
    const id = renderChassisId(subtype, bufOf(i, p));
    if (subtype !== null && id) {
      chassis = { subtype, id };
      break;
    }
  }
  return { sysName: strOf(name, p) || null, chassis };
}
