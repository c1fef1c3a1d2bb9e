// OVSDB framing (RFC 7047 §4: JSON-RPC 1.0 objects concatenated on a stream, no delimiter): splits
// the byte stream into complete top-level JSON texts by tracking string and nesting state, so a
// message split across reads or several messages in one read both come out whole. Anything that is
// not an object at top level, or grows past the size limit, is a framing error: the caller closes
// the connection (docs/architecture.md#ovsdb).

export class FramingError extends Error {
  constructor(
    readonly code: 'oversized' | 'not_object' | 'too_deep' | 'bad_json',
    message: string,
  ) {
    super(message);
    this.name = 'FramingError';
  }
}

const OPEN_BRACE = 0x7b,
  CLOSE_BRACE = 0x7d,
  OPEN_BRACKET = 0x5b,
  CLOSE_BRACKET = 0x5d,
  QUOTE = 0x22,
  BACKSLASH = 0x5c;

const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

export class JsonStream {
  private parts: Buffer[] = [];
  /** Bytes of the message being assembled (in parts plus scanned). */
  private size = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private failed: FramingError | null = null;

  constructor(
    private readonly maxBytes: number,
    private readonly maxDepth = 64,
  ) {}

  /**
   * Feeds bytes; returns the values of the messages completed by them. At a framing error the
   * messages before it are still returned and `error` is set; the stream then takes nothing more.
   */
  push(chunk: Buffer): unknown[] {
    const out: unknown[] = [];
    if (this.failed) return out;
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.depth === 0) {
        if (isSpace(b)) {
          start = i + 1;
          continue;
        }
        if (b !== OPEN_BRACE)
          return this.fail(out, new FramingError('not_object', `byte 0x${b.toString(16)} where a JSON object should start`));
        start = i;
        this.depth = 1;
        this.size = 0;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (++this.depth > this.maxDepth) return this.fail(out, new FramingError('too_deep', `nesting deeper than ${this.maxDepth}`));
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (--this.depth === 0) {
          const piece = chunk.subarray(start, i + 1);
          const text = this.parts.length ? Buffer.concat([...this.parts, piece]) : piece;
          this.parts = [];
          if (this.size + piece.length > this.maxBytes) return this.fail(out, this.oversized());
          this.size = 0;
          try {
            out.push(JSON.parse(text.toString('utf8')));
          } catch (e) {
            return this.fail(out, new FramingError('bad_json', (e as Error).message));
          }
          start = i + 1;
        }
      }
    }
    if (this.depth > 0) {
      const rest = chunk.subarray(start);
      this.size += rest.length;
      if (this.size > this.maxBytes) return this.fail(out, this.oversized());
      // Copy: the socket may reuse its buffer.
      this.parts.push(Buffer.from(rest));
    }
    return out;
  }

  /** Bytes held for an incomplete message. */
  get pending(): number {
    return this.depth > 0 ? this.size : 0;
  }

  private oversized(): FramingError {
    return new FramingError('oversized', `message larger than ${this.maxBytes} bytes`);
  }

  /** The framing error that stopped the stream, if any. */
  get error(): FramingError | null {
    return this.failed;
  }

  private fail(out: unknown[], e: FramingError): unknown[] {
    this.failed = e;
    this.parts = [];
    return out;
  }
}
