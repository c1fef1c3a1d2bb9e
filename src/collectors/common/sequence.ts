// Loss from export sequence numbers, shared by every flow source (sFlow datagram sequences per
// sub-agent, NetFlow v5/IPFIX record counts, NetFlow v9 packet counts). Numbers are 32-bit and wrap.

const SPACE = 2 ** 32;

/**
 * How many were lost between the number expected next and the one that arrived: the forward
 * distance when it is under half the number space; 0 when they match or the exporter went back
 * or far ahead (a restart, not a loss).
 */
export function lostBetween(expected: number, seq: number): number {
  const d = (((seq - expected) % SPACE) + SPACE) % SPACE;
  return d < 2 ** 31 ? d : 0;
}

/** The number expected after `seq` when `advance` were counted. */
export function nextSequence(seq: number, advance: number): number {
  return (seq + advance) % SPACE;
}
