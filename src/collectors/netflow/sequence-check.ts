// Sequence numbers per (exporter scope, observation domain): what a message's number says was lost
// since the previous message of the same stream (records for v5/IPFIX, packets for v9).
import { lostBetween, nextSequence } from '../common/sequence.ts';

export class SequenceCheck {
  private readonly next = new Map<string, number>();
  /** Messages whose number was not the one expected. */
  gaps = 0;

  /** Lost before this message; `advance`: what the message counts for the next number. */
  check(scope: string, domain: number, seq: number, advance: number): number {
    const key = `${scope}|${domain}`;
    const want = this.next.get(key);
    let lost = 0;
    if (want !== undefined && want !== seq) {
      this.gaps++;
      lost = lostBetween(want, seq);
    }
    // Bounded against address spoofing.
    if (want === undefined && this.next.size >= 65_536) this.next.clear();
    this.next.set(key, nextSequence(seq, advance));
    return lost;
  }
}
