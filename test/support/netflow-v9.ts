// Hand-built NetFlow v9 messages of one exporter for the flow-bus tests and bench: a template
// message (data template 256, and an options template 257 with options data announcing the
// sampling interval) and data messages of `records` flows each, whose packet counts are known.
const u16 = (v: number) => [(v >> 8) & 255, v & 255];
const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const flowset = (id: number, body: number[]) => [...u16(id), ...u16(4 + body.length), ...body];

/** IN_BYTES, IN_PKTS, PROTOCOL, L4_SRC_PORT, IPV4_SRC_ADDR, L4_DST_PORT, IPV4_DST_ADDR, INPUT_SNMP, OUTPUT_SNMP. */
const FIELDS: [number, number][] = [
  [1, 4],
  [2, 4],
  [4, 1],
  [7, 2],
  [8, 4],
  [11, 2],
  [12, 4],
  [10, 2],
  [14, 2],
];
export const DATA_TEMPLATE = 256;
export const OPTIONS_TEMPLATE = 257;

export class V9Exporter {
  private seq = 0;
  constructor(
    readonly sourceId = 1,
    readonly samplingInterval = 10,
  ) {}

  private message(count: number, sets: number[][]): Buffer {
    const unix = Math.floor(Date.now() / 1000);
    return Buffer.from([...u16(9), ...u16(count), ...u32(60_000), ...u32(unix), ...u32(this.seq++), ...u32(this.sourceId), ...sets.flat()]);
  }

  /** Data template, options template and the options record (sampling interval). 3 records. */
  templates(): Buffer {
    const data = flowset(0, [...u16(DATA_TEMPLATE), ...u16(FIELDS.length), ...FIELDS.flatMap(([t, l]) => [...u16(t), ...u16(l)])]);
    // Options: scope System (1, 4 bytes); option SAMPLING_INTERVAL (34, 4 bytes).
    const opts = flowset(1, [...u16(OPTIONS_TEMPLATE), ...u16(4), ...u16(4), ...u16(1), ...u16(4), ...u16(34), ...u16(4)]);
    const optData = flowset(OPTIONS_TEMPLATE, [...u32(0), ...u32(this.samplingInterval)]);
    return this.message(3, [data, opts, optData]);
  }

  /**
   * `records` flows, each `packets` packets, source port `portBase + i`, destination 10.9.<n>.1,
   * padded to 4 bytes. The packet total of the message is records × packets (unscaled).
   */
  data(records: number, packets: number, portBase: number, n = 0): Buffer {
    const body: number[] = [];
    for (let i = 0; i < records; i++) {
      body.push(...u32(packets * 100), ...u32(packets), 17, ...u16((portBase + i) & 0xffff));
      body.push(192, 0, 2, 1, ...u16(53), 10, 9, n & 255, 1, ...u16(1), ...u16(2));
    }
    while (body.length % 4) body.push(0);
    return this.message(records, [flowset(DATA_TEMPLATE, body)]);
  }
}
