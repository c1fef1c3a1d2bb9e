// `snmp.devices` entries at one address:port: an error naming both entries unless each is its own
// device (explicit names, different community or v3 context). Without the check the second entry
// had the first one's ID and was dropped without a word.
import type { z } from 'zod';
import { endpointOf, sharingProblem } from './devices.ts';
import type { DeviceConfig } from './config.ts';

export function checkSharedEndpoints(list: DeviceConfig[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number[]>();
  list.forEach((d, j) => {
    const ep = endpointOf(d);
    const before = seen.get(ep) ?? [];
    for (const i of before) {
      const why = sharingProblem(list[i]!, d);
      if (why)
        ctx.addIssue({
          code: 'custom',
          path: [j],
          message: `same address:port (${d.address}:${d.port}) as snmp.devices.${i}: ${why}`,
        });
    }
    seen.set(ep, [...before, j]);
  });
}
