import { z } from 'zod';
import { section } from '../config/common.ts';

export const ovsdbSection = section({
  /** Open vSwitch's own endpoint form: tcp:IP:PORT, unix:PATH. */
  endpoints: z.array(z.string().regex(/^(tcp:.+:\d+|unix:.+)$/, 'expected tcp:IP:PORT or unix:PATH')).default([]),
});
