/**
 * HL7 v2 messages as records (DESIGN §7) and the ACKs that answer them. Parsing and ACK building
 * are @medplum/core's; what is ours is the mapping: id `hl7-<MSH-10>`, text from OBX-5 and NTE-3.
 */
import { Hl7Message, type AckCode, type Hl7Context, type Hl7Segment } from '@medplum/core';

export const RECORD_ID_PREFIX = 'hl7-';

/** What `ingest` receives: the body of POST /v1/records, so all three paths validate alike. */
export interface Hl7Candidate {
  id: string;
  input: { text: string; metadata: Record<string, string> };
}

export type Hl7Reading = { ok: true; message: Hl7Message; candidate: Hl7Candidate } | { ok: false; message?: Hl7Message; reason: string };

const fieldOf = (segment: Hl7Segment | undefined, index: number): string => segment?.getField(index)?.toString() ?? '';

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** HL7 escape sequences in a value (\F\ \S\ \T\ \R\ \E\ and the line break \.br\) as the text they stand for. */
function unescapeHl7(value: string, context: Hl7Context): string {
  const e = context.escapeCharacter;
  // A header too short to declare an escape character leaves nothing escaped.
  if (e === '') return value;
  const meaning: Record<string, string> = {
    F: context.fieldSeparator,
    S: context.componentSeparator,
    T: context.subcomponentSeparator,
    R: context.repetitionSeparator,
    E: e,
    '.br': '\n',
  };
  const pattern = new RegExp(`${escapeRegExp(e)}(F|S|T|R|E|\\.br)${escapeRegExp(e)}`, 'g');
  return value.replace(pattern, (_match, code: string) => meaning[code] ?? '');
}

/** The reverse, for text we put into an ACK: a reason must not break the ACK's own structure. */
function escapeHl7(text: string, context: Hl7Context): string {
  const codes: Array<[string, string]> = [
    [context.escapeCharacter, 'E'],
    [context.fieldSeparator, 'F'],
    [context.componentSeparator, 'S'],
    [context.subcomponentSeparator, 'T'],
    [context.repetitionSeparator, 'R'],
  ];
  let escaped = text;
  for (const [char, code] of codes.filter(([char]) => char !== '')) escaped = escaped.split(char).join(`${context.escapeCharacter}${code}${context.escapeCharacter}`);
  return escaped.replace(/[\r\n]+/g, ' ');
}

/** OBX-5 and NTE-3 in message order; a message with neither (an ADT, say) is its own text, a segment per line. */
function textOf(message: Hl7Message): string {
  const values = message.segments
    .map((s) => (s.name === 'OBX' ? fieldOf(s, 5) : s.name === 'NTE' ? fieldOf(s, 3) : ''))
    .map((v) => unescapeHl7(v, message.context))
    .filter((v) => v.trim() !== '');
  if (values.length > 0) return values.join('\n');
  return message.segments.filter((s) => s.name !== '').map((s) => s.toString()).join('\n');
}

/** Header fields worth keeping with the record; empty ones are left out. */
function metadataOf(message: Hl7Message): Record<string, string> {
  const msh = message.getSegment('MSH');
  const fields = {
    messageType: fieldOf(msh, 9),
    controlId: fieldOf(msh, 10),
    sendingApplication: fieldOf(msh, 3),
    sendingFacility: fieldOf(msh, 4),
    messageTime: fieldOf(msh, 7),
    version: fieldOf(msh, 12),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ''));
}

// Strict, as for POST /v1/records: text in another character set is refused, not stored mangled.
const utf8 = new TextDecoder('utf-8', { fatal: true });

// Some senders put a newline before MSH; anything else before it is not HL7.
const withoutLeadingSpace = (text: string): string => text.replace(/^\s+/, '');

function parse(text: string): Hl7Message | undefined {
  try {
    return Hl7Message.parse(withoutLeadingSpace(text));
  } catch {
    return undefined;
  }
}

export function readHl7(payload: Buffer): Hl7Reading {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    // Read as Latin-1 only to address the AE to the right MSH-10; nothing of it is stored.
    return { ok: false, message: parse(payload.toString('latin1')), reason: 'the message is not valid UTF-8, the one character set accepted' };
  }
  const message = parse(text);
  if (!message) return { ok: false, reason: 'not an HL7 v2 message: it must begin with an MSH segment' };
  const controlId = fieldOf(message.getSegment('MSH'), 10);
  if (controlId === '') return { ok: false, message, reason: 'MSH-10 (message control id) is empty: it names the record' };
  return { ok: true, message, candidate: { id: `${RECORD_ID_PREFIX}${controlId}`, input: { text: textOf(message), metadata: metadataOf(message) } } };
}

const UNKNOWN_SENDER = Hl7Message.parse('MSH|^~\\&|');

/** An ACK in original mode; for a payload that was not HL7 at all, one with an empty MSA-2. */
export function ackFor(message: Hl7Message | undefined, code: AckCode, reason?: string): string {
  const source = message ?? UNKNOWN_SENDER;
  const ack = source.buildAck({ ackCode: code });
  if (reason) ack.getSegment('MSA')?.setField(3, escapeHl7(reason, source.context));
  // Every segment ends in CR, the last one included (HL7 v2 §2.5).
  return `${ack.toString()}\r`;
}
