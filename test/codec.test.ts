/**
 * The codec endpoint (DESIGN §14) as the Temporal Web UI and CLI call it: proto3 JSON payloads both
 * ways, an API key required, CORS for the Temporal UI's origin only, and a record's real history
 * decrypted through it.
 */
import { DefaultPayloadConverter } from '@temporalio/common';
import { workflowIdFor } from '../contract';
import { result, submit, uniqueId } from './support/records';
import { startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString();
const jsonPayload = (value: unknown) => ({ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(value)) });
const uiOrigin = () => new URL(stack.config.temporal.uiUrl).origin;

/** The UI's query string included: routes match on the path. */
async function codec(route: 'encode' | 'decode', body: unknown, headers: Record<string, string> = { authorization: `Bearer ${stack.apiKey}` }) {
  const res = await fetch(`${stack.baseUrl}/codec/${route}?preserveStorageRefs=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

it('encodes to binary/encrypted under the current key and decodes back; plain payloads pass through', async () => {
  const plain = jsonPayload({ text: 'Hemoglobin 13.5 g/dL' });
  const encoded = await codec('encode', { payloads: [plain] });
  expect(encoded.status).toBe(200);
  const [sealed] = encoded.body.payloads;
  expect({ encoding: unb64(sealed.metadata.encoding), keyId: unb64(sealed.metadata['encryption-key-id']) }).toEqual({ encoding: 'binary/encrypted', keyId: 'test-1' });
  expect(unb64(sealed.data)).not.toContain('Hemoglobin');

  const decoded = await codec('decode', { payloads: [sealed, plain] });
  expect(decoded).toMatchObject({ status: 200, body: { payloads: [plain, plain] } });
});

it("decrypts a record's history as Temporal stores it", async () => {
  const id = uniqueId('codec');
  expect((await submit(stack, id, 'Ferritin 45 ng/mL')).status).toBe(202);
  await result(stack, id);
  const { history } = await stack.env.client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: workflowIdFor(id) } });
  const completed = history?.events?.find((e) => e.workflowExecutionCompletedEventAttributes)?.workflowExecutionCompletedEventAttributes?.result?.payloads ?? [];
  const asSent = completed.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  }));
  expect(asSent.map((p) => unb64(p.metadata.encoding ?? ''))).toEqual(['binary/encrypted']);
  const decoded = await codec('decode', { payloads: asSent });
  expect(decoded.status).toBe(200);
  const converter = new DefaultPayloadConverter();
  const values = decoded.body.payloads.map((p: any) =>
    converter.fromPayload({ metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v as string, 'base64')])), data: Buffer.from(p.data, 'base64') }),
  );
  expect(values).toEqual([expect.objectContaining({ status: 'completed' })]);
});

it('refuses without a valid key, and says which key a payload it cannot decrypt needs', async () => {
  expect((await codec('decode', { payloads: [] }, {})).status).toBe(401);
  expect((await codec('encode', { payloads: [] }, { authorization: 'Bearer wrong' })).status).toBe(401);
  const foreign = { metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('retired-7') }, data: Buffer.alloc(64).toString('base64') };
  expect(await codec('decode', { payloads: [foreign] })).toMatchObject({ status: 400, body: { detail: expect.stringContaining('key "retired-7"') } });
  expect((await codec('decode', { payloads: [{ data: 'not base64!' }] })).status).toBe(400);
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    fetch(`${stack.baseUrl}/codec/decode?preserveStorageRefs=true`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' },
    });

  it("answers the Temporal UI's preflight and lets it read the answer", async () => {
    const res = await preflight(uiOrigin());
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(uiOrigin());
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toEqual(expect.arrayContaining(['content-type', 'x-namespace', 'authorization']));
    const posted = await codec('decode', { payloads: [] }, { authorization: `Bearer ${stack.apiKey}`, origin: uiOrigin() });
    expect({ status: posted.status, allowed: posted.headers.get('access-control-allow-origin') }).toEqual({ status: 200, allowed: uiOrigin() });
  });

  it('refuses another origin', async () => {
    const res = await preflight('http://evil.example');
    expect({ status: res.status, allowed: res.headers.get('access-control-allow-origin') }).toEqual({ status: 403, allowed: null });
    const posted = await codec('decode', { payloads: [] }, { authorization: `Bearer ${stack.apiKey}`, origin: 'http://evil.example' });
    expect({ status: posted.status, allowed: posted.headers.get('access-control-allow-origin') }).toEqual({ status: 403, allowed: null });
  });
});
