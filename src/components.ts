// The components a collector runs by default; each is enabled by its own config section.
import type { ComponentFactory } from './collector.ts';

export function defaultComponents(): ComponentFactory[] {
  return [];
}
