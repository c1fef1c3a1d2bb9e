import { z } from 'zod';
import { section } from '../../config/common.ts';

export const k8sSection = section({
  enabled: z.boolean().default(false).describe('Reserved for the Kubernetes source; nothing reads it yet.'),
  kubeconfig: z.string().optional().describe('Reserved: path of the kubeconfig the Kubernetes source will use.'),
}).describe('Kubernetes source (planned; the keys are accepted so configs can carry them).');
