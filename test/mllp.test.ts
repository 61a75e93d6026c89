/**
 * HL7 v2 over MLLP (DESIGN §7) through real TCP, the real ingest, PostgreSQL and Temporal: the
 * ACK codes, the records they name, and the sender's retry after an outage.
 */
import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig, type MllpSettings } from '../config';
import { workflowIdFor } from '../contract';
import { createDb } from '../db/client';
import { createIngest, type Ingest } from '../ingest';
import { ingestSettings } from '../ingest/settings';
import { readHl7 } from '../mllp/hl7';
import { startMllpListener, type MllpListener } from '../mllp/listener';
import { frame, MllpClient, parseAck, sendOnce, withControlId, withFacility } from './support/mllp';
import { freePort } from '../dev/processes';
import { invariantViolations, ledgerOf, post, result } from './support/records';
import { startStack, type Stack } from './support/stack';
import { uploadFile } from './support/uploads';

const DATA = join(__dirname, '..', 'samples', 'hl7');
const silent = pino({ level: 'silent' });
const hl7File = (name: string): string => readFileSync(join(DATA, name), 'utf8');
/** MLLP senders separate segments with CR; the files use newlines. */
const asSent = (text: string): string => text.replace(/\r?\n/g, '\r');
const freshId = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;

let stack: Stack;
let listener: MllpListener;
const extraListeners: MllpListener[] = [];

function ingestWith(parts: { db?: ReturnType<typeof createDb>; temporal?: Client }): Ingest {
  const { config } = stack;
  return createIngest(ingestSettings(config, parts.db ?? stack.db, parts.temporal ?? stack.env.client));
}

async function listenerWith(ingest: Ingest, settings: Partial<MllpSettings> = {}): Promise<MllpListener> {
  const started = await startMllpListener({ settings: { ...stack.config.mllp, port: 0, ...settings }, host: '127.0.0.1', ingest, log: silent });
  extraListeners.push(started);
  return started;
}

beforeAll(async () => {
  stack = await startStack();
  listener = await startMllpListener({ settings: { ...stack.config.mllp, port: 0 }, host: '127.0.0.1', ingest: stack.ingest, log: silent });
});
afterEach(async () => {
  expect(await invariantViolations(stack)).toEqual([]);
});
afterAll(async () => {
  await Promise.all([listener, ...extraListeners].map((l) => l?.close()));
  await stack?.stop();
});

describe('ACKs over one connection', () => {
  it('answers a valid ORU^R01 AA, the same again AA, a garbage frame AE, and keeps serving; the record completes', async () => {
    const controlId = freshId('interpretation');
    const message = asSent(withControlId(hl7File('oru-r01-interpretation.hl7'), controlId));
    const client = await MllpClient.connect(listener.port);
    try {
      const first = await client.send(message);
      const again = await client.send(message);
      const garbage = await client.send('this is not an HL7 message');
      const after = await client.send(asSent(withControlId(hl7File('oru-r01-chemistry.hl7'), freshId('chemistry'))));
      expect([first.code, again.code, garbage.code, after.code]).toEqual(['AA', 'AA', 'AE', 'AA']);
      expect(first.controlId).toBe(controlId);
      expect(again.text).toContain('duplicate');
      expect(garbage).toMatchObject({ controlId: '', text: expect.stringContaining('MSH') });
    } finally {
      client.close();
    }

    const id = `hl7-${controlId}`;
    expect(await result(stack, id)).toMatchObject({ id, status: 'completed' });
    const { record, charges } = await ledgerOf(stack, id);
    expect(record).toMatchObject({ source: 'mllp', status: 'completed' });
    expect(charges).toHaveLength(1);
    const input = record?.input as { text: string; metadata: Record<string, string> };
    expect(input.text.split('\n').slice(0, 3)).toEqual(['Negative', 'See comments below', 'RESULT: Negative for the Factor V Leiden variant.']);
    expect(input.metadata).toMatchObject({ messageType: 'ORU^R01', controlId, sendingFacility: 'REFERENCE LAB' });
  });

  it('answers every frame of a pipelined burst, in order, even when they share one TCP write', async () => {
    const ids = [freshId('burst'), freshId('burst'), freshId('burst')];
    const oru = hl7File('oru-r01-interpretation.hl7');
    const client = await MllpClient.connect(listener.port);
    try {
      client.write(Buffer.concat(ids.map((id) => frame(asSent(withControlId(oru, id))))));
      const acks = await Promise.all(ids.map(() => client.next()));
      expect(acks.map((a) => [a.code, a.controlId])).toEqual(ids.map((id) => ['AA', id]));
    } finally {
      client.close();
    }
  });

  it('answers AE, with the reason, for an MSH-10 that cannot name a record or is missing, and for text not in UTF-8', async () => {
    const adt = hl7File('adt-a01-admit.hl7');
    const spaced = await sendOnce(listener.port, asSent(withControlId(adt, 'has spaces/and slash')));
    expect(spaced).toMatchObject({ code: 'AE', controlId: 'has spaces/and slash', text: expect.stringContaining('id') });
    expect(await stack.db.record.findUnique({ where: { id: 'hl7-has spaces/and slash' } })).toBeNull();
    const empty = await sendOnce(listener.port, asSent(withControlId(adt, '')));
    expect(empty).toMatchObject({ code: 'AE', text: expect.stringContaining('MSH-10') });
    const latin1Id = freshId('latin1');
    const latin1 = await sendOnce(listener.port, Buffer.from(asSent(withControlId(hl7File('oru-r01-screening.hl7'), latin1Id)), 'latin1'));
    expect(latin1).toMatchObject({ code: 'AE', controlId: latin1Id, text: expect.stringContaining('UTF-8') });
    expect(await stack.db.record.findUnique({ where: { id: `hl7-${latin1Id}` } })).toBeNull();
  });
});

describe('when the pipeline cannot take work', () => {
  it('answers AR while the database is unreachable, stores nothing, and the resent message gets AA and completes', async () => {
    const deadDb = createDb(`postgresql://nobody:nothing@127.0.0.1:${await freePort()}/none`);
    const outage = await listenerWith(ingestWith({ db: deadDb }));
    const controlId = freshId('dbdown');
    const message = asSent(withControlId(hl7File('oru-r01-interpretation.hl7'), controlId));
    try {
      const refused = await sendOnce(outage.port, message);
      expect(refused).toMatchObject({ code: 'AR', controlId, text: expect.stringContaining('database') });
      expect(await stack.db.record.findUnique({ where: { id: `hl7-${controlId}` } })).toBeNull();
    } finally {
      await deadDb.$disconnect();
    }
    expect((await sendOnce(listener.port, message)).code).toBe('AA');
    expect(await result(stack, `hl7-${controlId}`)).toMatchObject({ status: 'completed' });
  });

  it('answers AR while Temporal is unreachable; the resent message starts the stored record and gets AA', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 1_000 });
    const outage = await listenerWith(ingestWith({ temporal: new Client({ connection }) }));
    const controlId = freshId('temporaldown');
    const message = asSent(withControlId(hl7File('oru-r01-chemistry.hl7'), controlId));
    try {
      expect(await sendOnce(outage.port, message)).toMatchObject({ code: 'AR', text: expect.stringContaining('Temporal') });
    } finally {
      await connection.close();
    }
    // The row was written before the start failed: the retry finds it and starts its workflow.
    expect(await stack.db.record.findUnique({ where: { id: `hl7-${controlId}` } })).toMatchObject({ status: 'received' });
    expect((await sendOnce(listener.port, message)).code).toBe('AA');
    expect(await result(stack, `hl7-${controlId}`)).toMatchObject({ status: 'completed' });
  });
});

describe('the sample messages (samples/hl7)', () => {
  const files = readdirSync(DATA).filter((f) => f.endsWith('.hl7')).sort();

  it.each(files)('%s gets AA through a standard MLLP client and from its raw bytes, and becomes one record each', async (file) => {
    const original = hl7File(file);
    const [viaClient, viaBytes] = [freshId('client'), freshId('bytes')];

    // @medplum/hl7's client re-serialises the message: CR-separated segments, as senders do.
    const client = new Hl7Client({ host: '127.0.0.1', port: listener.port });
    try {
      // No timeoutMs: @medplum/hl7 4.5.2 leaves that timer running after the ACK; Jest's timeout bounds the wait.
      const ack = await client.sendAndWait(Hl7Message.parse(withControlId(original, viaClient)));
      expect(parseAck(ack.toString())).toMatchObject({ code: 'AA', controlId: viaClient });
    } finally {
      await client.close();
    }
    // The file as it is, newline-separated.
    expect(await sendOnce(listener.port, withControlId(original, viaBytes))).toMatchObject({ code: 'AA', controlId: viaBytes });

    for (const controlId of [viaClient, viaBytes]) {
      const { record } = await ledgerOf(stack, `hl7-${controlId}`);
      expect(record).toMatchObject({ source: 'mllp', input: { text: expectedText(withControlId(original, controlId)) } });
      expect(await result(stack, `hl7-${controlId}`)).toMatchObject({ status: 'completed' });
    }
  });
});

/**
 * DESIGN §7 read independently of the listener: OBX-5 and NTE-3 by field position, escapes
 * decoded; without any, the message one segment per line.
 */
function expectedText(file: string): string {
  const segments = file.split(/\r?\n|\r/).filter((s) => s !== '');
  const values = segments
    .map((s) => s.split('|'))
    .flatMap((f) => (f[0] === 'OBX' ? [f[5] ?? ''] : f[0] === 'NTE' ? [f[3] ?? ''] : []))
    .map((v) => v.replace(/\\\.br\\/g, '\n').replace(/\\R\\/g, '~').replace(/\\S\\/g, '^').replace(/\\T\\/g, '&').replace(/\\F\\/g, '|').replace(/\\E\\/g, '\\'))
    .filter((v) => v.trim() !== '');
  return values.length > 0 ? values.join('\n') : segments.join('\n');
}

describe('accounts by sending facility (MLLP_ACCOUNTS)', () => {
  it('puts two mapped facilities\' records in their two accounts and answers an unmapped sender AR under MLLP_DEFAULT_ACCOUNT=none', async () => {
    const labA = freshId('lab-a');
    const labB = freshId('lab-b');
    const accountA = `acct-${labA}`;
    const accountB = `acct-${labB}`;
    for (const id of [accountA, accountB]) await stack.db.account.create({ data: { id, name: id, currency: 'usd' } });
    const mapped = await listenerWith(stack.ingest, { accounts: { [labA.toUpperCase()]: accountA, [labB]: accountB }, defaultAccount: null });
    const oru = hl7File('oru-r01-interpretation.hl7');
    const [fromA, fromB, fromNowhere] = [freshId('from-a'), freshId('from-b'), freshId('unmapped')];

    const ackA = await sendOnce(mapped.port, asSent(withFacility(withControlId(oru, fromA), labA.toUpperCase())));
    // The facility with its OID, as many senders give it: its first component names it.
    const ackB = await sendOnce(mapped.port, asSent(withFacility(withControlId(oru, fromB), `${labB}^2.16.840.1.113883^ISO`)));
    const refused = await sendOnce(mapped.port, asSent(withFacility(withControlId(oru, fromNowhere), 'NOBODY KNOWS US')));
    expect([ackA.code, ackB.code]).toEqual(['AA', 'AA']);
    expect(refused).toMatchObject({ code: 'AR', controlId: fromNowhere, text: expect.stringContaining('NOBODY KNOWS US') });

    for (const [account, controlId] of [[accountA, fromA], [accountB, fromB]] as const) {
      const id = `${account}/hl7-${controlId}`;
      expect(await result(stack, id)).toMatchObject({ status: 'completed' });
      const { record, charges } = await ledgerOf(stack, id);
      expect(record).toMatchObject({ accountId: account, recordKey: `hl7-${controlId}`, source: 'mllp' });
      expect(charges).toHaveLength(1);
      expect(await stack.db.record.findUnique({ where: { id: `hl7-${controlId}` } })).toBeNull();
    }
    expect(await stack.db.record.count({ where: { recordKey: `hl7-${fromNowhere}` } })).toBe(0);
  });
});

describe('MLLP_ACCOUNTS and MLLP_DEFAULT_ACCOUNT', () => {
  const settings = (env: NodeJS.ProcessEnv) => loadConfig({ NODE_ENV: 'development', ...env });
  it('take a JSON object of facility to account id, and `none`; anything else stops the process with the setting named', () => {
    expect(settings({ MLLP_ACCOUNTS: '{"REFERENCE LAB": "acme", "LAB, EAST^1.2^ISO": "east-1"}', MLLP_DEFAULT_ACCOUNT: 'none' }).mllp).toMatchObject({
      accounts: { 'REFERENCE LAB': 'acme', 'LAB, EAST^1.2^ISO': 'east-1' },
      defaultAccount: null,
    });
    expect(settings({}).mllp).toMatchObject({ accounts: {}, defaultAccount: 'default' });
    expect(() => settings({ MLLP_ACCOUNTS: 'REFERENCE LAB=acme' })).toThrow(/MLLP_ACCOUNTS is not JSON/);
    expect(() => settings({ MLLP_ACCOUNTS: '{"REFERENCE LAB": "Not An Id"}' })).toThrow(/invalid MLLP_ACCOUNTS: REFERENCE LAB: account id/);
    expect(() => settings({ MLLP_ACCOUNTS: '["acme"]' })).toThrow(/invalid MLLP_ACCOUNTS/);
    expect(() => settings({ MLLP_DEFAULT_ACCOUNT: 'No Such' })).toThrow(/MLLP_DEFAULT_ACCOUNT/);
    expect(() => settings({ MLLP_TLS_CERT_PATH: '/cert.pem' })).toThrow(/MLLP_TLS_CERT_PATH and MLLP_TLS_KEY_PATH go together/);
  });
});

describe('one record id by three paths', () => {
  it('arriving at once by the API, an upload and MLLP makes one record, one workflow and one charge', async () => {
    const controlId = freshId('three-paths');
    const message = asSent(withControlId(hl7File('oru-r01-interpretation.hl7'), controlId));
    const reading = readHl7(Buffer.from(message));
    if (!reading.ok) throw new Error(reading.reason);
    const body = reading.candidate;

    const [api, upload, mllp] = await Promise.all([
      post(stack, '/v1/records', body),
      uploadFile(stack, 'one.jsonl', `${JSON.stringify(body)}\n`),
      sendOnce(listener.port, message),
    ]);
    expect(mllp.code).toBe('AA');
    const outcomes = [api.body.duplicate ? 'duplicate' : 'accepted', upload.body.outcomes[0].outcome, mllp.text.includes('duplicate') ? 'duplicate' : 'accepted'];
    expect(outcomes.sort()).toEqual(['accepted', 'duplicate', 'duplicate']);

    await result(stack, body.id);
    const runs = [];
    for await (const run of stack.env.client.workflow.list({ query: `WorkflowId = "${workflowIdFor(body.id)}"` })) runs.push(run.runId);
    expect(runs).toHaveLength(1);
    const { charges, okCalls } = await ledgerOf(stack, body.id);
    expect(charges).toHaveLength(1);
    expect(okCalls).toHaveLength(1);
  });
});
