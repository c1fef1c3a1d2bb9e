import { z } from 'zod';
import { section } from '../../config/common.ts';

export const k8sSection = section({
  enabled: z.boolean().default(false),
  kubeconfig: z.string().optional(),
});
