// Sequence numbers per (exporter scope, observation domain): what a message's number says was lost
// since the previous message of the same stream (records for v5/IPFIX, packets for v9).
import { lostBetween, nextSequence } from '../common/sequence.ts';

export class SequenceCheck {
  /** Next expected number by scope, then domain: no key text built per message. */
  private readonly next = new Map<string, Map<number, number>>();
  private streams = 0;
  /** Messages whose number was not the one expected. */
  gaps = 0;

  /** Lost before this message; `advance`: what the message counts for the next number. */
  check(scope: string, domain: number, seq: number, advance: number): number {
    let m = this.next.get(scope);
    const want = m?.get(domain);
    let lost = 0;
    if (want !== undefined && want !== seq) {
      this.gaps++;
      lost = lostBetween(want, seq);
    }
    if (want === undefined) {
      // Bounded against address spoofing: 65,536 scope × domain streams.
      if (this.streams >= 65_536) {
        this.next.clear();
        this.streams = 0;
        m = undefined;
      }
      if (!m) this.next.set(scope, (m = new Map()));
      this.streams++;
    }
    m!.set(domain, nextSequence(seq, advance));
    return lost;
  }
}
