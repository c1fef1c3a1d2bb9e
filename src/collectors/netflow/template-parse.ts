// Template and options-template records of NetFlow v9 (flowsets 0/1, RFC 3954 §5.2, §6.1) and
// IPFIX (sets 2/3, RFC 7011 §3.4). Offsets in errors are relative to the message start.
import { u16 } from '../common/packet-bytes.ts';
import { nfError, type NetflowError } from './errors.ts';
import { VARIABLE_LENGTH, type Template, type TemplateField } from './plan.ts';

/** More fields than any real exporter sends; bounds compile time and code size. */
export const MAX_TEMPLATE_FIELDS = 512;

export type TemplateItem = { kind: 'template'; template: Template } | { kind: 'withdraw'; templateId: number; options: boolean };

/** v9 flowset 0: records of templateId, fieldCount, (type, length)… */
export function parseV9Templates(b: Buffer, off: number, end: number, msg: number, out: TemplateItem[]): NetflowError | null {
  while (off + 4 <= end) {
    const id = u16(b, off);
    const count = u16(b, off + 2);
    if (id === 0 && count === 0) return null; // zero padding
    if (id < 256) return nfError('bad-template', off - msg, `v9 template id ${id} < 256`);
    if (count === 0 || count > MAX_TEMPLATE_FIELDS) return nfError('bad-template', off + 2 - msg, `v9 template ${id} field count ${count}`);
    if (off + 4 + count * 4 > end) return nfError('bad-template', off - msg, `v9 template ${id} with ${count} fields overruns its flowset`);
    const fields: TemplateField[] = new Array<TemplateField>(count);
    for (let i = 0, p = off + 4; i < count; i++, p += 4) fields[i] = { id: u16(b, p), length: u16(b, p + 2), pen: 0 };
    out.push({ kind: 'template', template: { version: 9, id, scopeCount: 0, options: false, fields } });
    off += 4 + count * 4;
  }
  return null;
}

/** v9 flowset 1: templateId, scope length (bytes), option length (bytes), scope fields, option fields. */
export function parseV9OptionsTemplates(b: Buffer, off: number, end: number, msg: number, out: TemplateItem[]): NetflowError | null {
  while (off + 6 <= end) {
    const id = u16(b, off);
    const scopeLen = u16(b, off + 2);
    const optLen = u16(b, off + 4);
    if (id === 0 && scopeLen === 0 && optLen === 0) return null; // padding
    if (id < 256) return nfError('bad-template', off - msg, `v9 options template id ${id} < 256`);
    if (scopeLen % 4 !== 0 || optLen % 4 !== 0)
      return nfError(
        'bad-template',
        off + 2 - msg,
        `v9 options template ${id}: scope/option lengths ${scopeLen}/${optLen} not multiples of 4`,
      );
    const count = (scopeLen + optLen) / 4;
    if (count === 0 || count > MAX_TEMPLATE_FIELDS)
      return nfError('bad-template', off + 2 - msg, `v9 options template ${id} field count ${count}`);
    if (off + 6 + scopeLen + optLen > end) return nfError('bad-template', off - msg, `v9 options template ${id} overruns its flowset`);
    const fields: TemplateField[] = new Array<TemplateField>(count);
    for (let i = 0, p = off + 6; i < count; i++, p += 4) fields[i] = { id: u16(b, p), length: u16(b, p + 2), pen: 0 };
    out.push({ kind: 'template', template: { version: 9, id, scopeCount: scopeLen / 4, options: true, fields } });
    off += 6 + scopeLen + optLen;
  }
  return null;
}

/** IPFIX field specifiers: IE id (top bit = enterprise), length (65535 = variable), optional PEN. */
function parseIpfixFields(b: Buffer, p: number, end: number, count: number): { fields: TemplateField[]; next: number } | null {
  const fields: TemplateField[] = new Array<TemplateField>(count);
  for (let i = 0; i < count; i++) {
    if (p + 4 > end) return null;
    const raw = u16(b, p);
    const length = u16(b, p + 2);
    p += 4;
    let pen = 0;
    if (raw & 0x8000) {
      if (p + 4 > end) return null;
      pen = b[p]! * 16777216 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
      p += 4;
    }
    fields[i] = { id: raw & 0x7fff, length, pen };
  }
  return { fields, next: p };
}

/** IPFIX set 2 (templates) or 3 (options templates), including withdrawals (field count 0). */
export function parseIpfixTemplates(
  b: Buffer,
  off: number,
  end: number,
  msg: number,
  options: boolean,
  out: TemplateItem[],
): NetflowError | null {
  const hdr = options ? 6 : 4;
  while (off + 4 <= end) {
    const id = u16(b, off);
    const count = u16(b, off + 2);
    // Some exporters pad each record to 4 bytes inside the set; nothing useful can follow a zero id.
    if (id === 0) return null;
    if (count === 0) {
      // Withdrawal (4 bytes even in an options set); id 2/3 = all templates of that set type.
      if (id < 256 && id !== (options ? 3 : 2)) return nfError('bad-template', off - msg, `IPFIX withdrawal of template id ${id}`);
      out.push({ kind: 'withdraw', templateId: id, options });
      off += 4;
      continue;
    }
    if (off + hdr > end) return nfError('bad-template', off - msg, `IPFIX options template ${id} header truncated`);
    if (id < 256) return nfError('bad-template', off - msg, `IPFIX template id ${id} < 256`);
    if (count > MAX_TEMPLATE_FIELDS) return nfError('bad-template', off + 2 - msg, `IPFIX template ${id} field count ${count}`);
    const scopeCount = options ? u16(b, off + 4) : 0;
    if (options && (scopeCount === 0 || scopeCount > count))
      return nfError('bad-template', off + 4 - msg, `IPFIX options template ${id} scope count ${scopeCount} of ${count}`);
    const parsed = parseIpfixFields(b, off + hdr, end, count);
    if (!parsed) return nfError('bad-template', off - msg, `IPFIX template ${id} with ${count} fields overruns its set`);
    out.push({ kind: 'template', template: { version: 10, id, scopeCount, options, fields: parsed.fields } });
    off = parsed.next;
  }
  return null;
}

export { VARIABLE_LENGTH };
