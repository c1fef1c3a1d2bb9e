import { z } from 'zod';
import { section } from '../config/common.ts';

export const ovsdbSection = section({
  endpoints: z
    .array(z.string().regex(/^(tcp:.+:\d+|unix:.+)$/, 'expected tcp:IP:PORT or unix:PATH'))
    .default([])
    .describe(
      "OVSDB servers in Open vSwitch's own form, `tcp:IP:PORT` or `unix:PATH`. Reserved: validated, but no component reads OVSDB yet.",
    ),
}).describe('Open vSwitch databases (OVSDB) to mirror into the graph (planned; the keys are accepted so configs can carry them).');
