/**
 * GET /openapi.json: the OpenAPI 3.1 description of every route (DESIGN §6), made from the same zod
 * schemas the routes validate with (zod's own JSON Schema output, which is the dialect OpenAPI 3.1
 * uses). test/openapi.test.ts holds this table and the Express app to each other.
 */
import { z } from 'zod';
import {
  accountIdSchema,
  createAccountBodySchema,
  createKeyBodySchema,
  createRecordBodySchema,
  makeResolveSchema,
  modelOutputSchema,
  patchAccountBodySchema,
  type ApiRole,
} from '../contract';
import { MEDIA_TYPE, PROBLEMS, type ProblemCode } from './problem';
import {
  accountListSchema,
  accountSchema,
  ingestAnswerSchema,
  keyCreatedSchema,
  keyRevokedSchema,
  listQuerySchema,
  problemSchema,
  recordDetailSchema,
  recordListSchema,
  resolvedSchema,
  resolveHeadersSchema,
  reviewSummaryQuerySchema,
  reviewSummarySchema,
  uploadReportSchema,
  usageQuerySchema,
  usageSchema,
} from './schemas';
import { payloadsSchema } from './codec';

type Method = 'get' | 'post' | 'patch' | 'delete';

interface Operation {
  method: Method;
  /** OpenAPI's form: `{id}` where Express has `:id`. */
  path: string;
  summary: string;
  /** The least role that may call it; none: no key needed. */
  role?: ApiRole;
  params?: Record<string, { schema: z.ZodType; description: string }>;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: z.ZodType | 'multipart';
  ok: Record<number, { description: string; schema?: z.ZodType; mediaType?: string }>;
  problems?: ProblemCode[];
}

const recordId = {
  id: { schema: z.string().min(1).max(193), description: "The record's id in the key's account; for an admin key also `<account>/<id>` (URL-encoded) for another account's record." },
};
const accountParam = { account: { schema: accountIdSchema, description: 'The account id.' } };
const json = (description: string, schema: z.ZodType) => ({ description, schema });
/** The providers' canary report (contract/health.ts); only its status is fixed here, the rest names providers. */
const inferenceHealthSchema = z.looseObject({ status: z.enum(['healthy', 'degraded', 'unhealthy']) });

export const OPERATIONS: Operation[] = [
  ...(['decode', 'encode'] as const).map(
    (way): Operation => ({
      method: 'post',
      path: `/codec/${way}`,
      summary: `Temporal's remote codec: ${way}s payloads (AES-256-GCM under PAYLOAD_KEYS) for the Temporal UI and CLI; browsers only from the Temporal UI's origin.`,
      role: 'operate',
      body: payloadsSchema,
      ok: { 200: json(`The payloads, ${way}d.`, payloadsSchema) },
      problems: ['invalid_request', 'invalid_json', 'payload_too_large'],
    }),
  ),
  { method: 'get', path: '/healthz', summary: 'The process is up.', ok: { 200: json('Up.', z.object({ ok: z.literal(true) })) } },
  {
    method: 'get',
    path: '/readyz',
    summary: 'The database and Temporal are reachable.',
    ok: { 200: json('Both reachable.', z.object({ database: z.boolean(), temporal: z.boolean() })), 503: json('One is not.', z.object({ database: z.boolean(), temporal: z.boolean() })) },
  },
  {
    method: 'get',
    path: '/health/inference',
    summary: 'Whether each provider produced a valid answer to the last canary prompt (the inference-health Schedule), and the overall status.',
    ok: { 200: json('Healthy: every provider answered.', inferenceHealthSchema), 503: json('Degraded or unhealthy: the report names the providers that did not.', inferenceHealthSchema) },
  },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics.', ok: { 200: { description: 'The Prometheus text format.', mediaType: 'text/plain' } } },
  { method: 'get', path: '/openapi.json', summary: 'This document.', ok: { 200: { description: 'OpenAPI 3.1.' } } },
  {
    method: 'get',
    path: '/',
    summary: "The web console (upload, records, the review queue); its scripts and styles are beside it, zod's ES modules under /vendor/zod/.",
    ok: { 200: { description: 'The page.', mediaType: 'text/html' } },
  },
  { method: 'get', path: '/ui-config', summary: "The web console's settings.", ok: { 200: { description: 'Links and limits the page needs.' } } },
  {
    method: 'post',
    path: '/v1/records',
    summary: "Submit a record to the key's account.",
    role: 'submit',
    body: createRecordBodySchema,
    ok: { 202: json('Accepted: its workflow is started.', ingestAnswerSchema), 200: json('The same id and input again: a duplicate.', ingestAnswerSchema) },
    problems: ['invalid_request', 'invalid_json', 'invalid_encoding', 'over_budget', 'conflict', 'payload_too_large', 'unavailable'],
  },
  {
    method: 'get',
    path: '/v1/records',
    summary: 'Records in scope, newest first, a page at a time.',
    role: 'submit',
    query: listQuerySchema,
    ok: { 200: json('A page; nextCursor is null on the last.', recordListSchema) },
    problems: ['invalid_request', 'not_found'],
  },
  {
    method: 'get',
    path: '/v1/records/{id}',
    summary: 'A record: state, charge, result, model calls and cost, events.',
    role: 'submit',
    params: recordId,
    ok: { 200: json('The record.', recordDetailSchema) },
    problems: ['invalid_request', 'not_found'],
  },
  {
    method: 'post',
    path: '/v1/records/{id}/resolve',
    summary: "Resolve a parked record through its workflow's `resolve` Update.",
    role: 'operate',
    params: recordId,
    headers: resolveHeadersSchema,
    body: makeResolveSchema(),
    ok: { 200: json("Accepted: the record's new state.", resolvedSchema) },
    problems: ['invalid_request', 'not_found', 'conflict', 'unavailable'],
  },
  {
    method: 'get',
    path: '/v1/review/summary',
    summary: 'The review queue in numbers: records waiting for an operator, by reason and step.',
    role: 'operate',
    query: reviewSummaryQuerySchema,
    ok: { 200: json('The counts.', reviewSummarySchema) },
    problems: ['invalid_request', 'not_found'],
  },
  {
    method: 'post',
    path: '/v1/uploads',
    summary: "A JSON Lines or CSV (id,text) file of records for the key's account, in the multipart field `file`.",
    role: 'submit',
    body: 'multipart',
    ok: { 200: json('One outcome per line.', uploadReportSchema) },
    problems: ['invalid_upload', 'payload_too_large'],
  },
  {
    method: 'get',
    path: '/v1/usage',
    summary: 'Per account in scope: records, charges, refunds, model calls and cost, budget, margin.',
    role: 'submit',
    query: usageQuerySchema,
    ok: { 200: json('Usage in [from, to).', usageSchema) },
    problems: ['invalid_request', 'not_found'],
  },
  {
    method: 'post',
    path: '/v1/accounts',
    summary: 'Create an account.',
    role: 'admin',
    body: createAccountBodySchema,
    ok: { 201: json('Created.', accountSchema) },
    problems: ['invalid_request', 'conflict'],
  },
  { method: 'get', path: '/v1/accounts', summary: 'Every account.', role: 'admin', ok: { 200: json('The accounts.', accountListSchema) } },
  {
    method: 'get',
    path: '/v1/accounts/{account}',
    summary: 'One account, with its budget this month.',
    role: 'admin',
    params: accountParam,
    ok: { 200: json('The account.', accountSchema) },
    problems: ['invalid_request', 'not_found'],
  },
  {
    method: 'patch',
    path: '/v1/accounts/{account}',
    summary: "Change an account's name, price, currency, budget or Stripe customer.",
    role: 'admin',
    params: accountParam,
    body: patchAccountBodySchema,
    ok: { 200: json('The changed account.', accountSchema) },
    problems: ['invalid_request', 'not_found', 'conflict'],
  },
  {
    method: 'post',
    path: '/v1/accounts/{account}/keys',
    summary: 'Create an API key of the account: the key is in this answer only.',
    role: 'admin',
    params: accountParam,
    body: createKeyBodySchema,
    ok: { 201: json('Created.', keyCreatedSchema) },
    problems: ['invalid_request', 'not_found'],
  },
  {
    method: 'delete',
    path: '/v1/keys/{keyId}',
    summary: 'Revoke a key: every API process refuses it within seconds.',
    role: 'admin',
    params: { keyId: { schema: z.string(), description: 'The key id (the part after `di_`).' } },
    ok: { 200: json('Revoked.', keyRevokedSchema) },
    problems: ['not_found', 'conflict'],
  },
];

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

const problemResponse = (codes: ProblemCode[]) => ({
  description: codes.map((c) => `${c}: ${PROBLEMS[c].title}`).join('; '),
  content: { [MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** Every authenticated route may also answer 401, 403, 429 and 500. */
function problemsOf(op: Operation): Record<string, unknown> {
  const codes: ProblemCode[] = [...(op.problems ?? []), ...(op.role ? (['unauthorized', 'forbidden', 'rate_limited', 'internal'] as const) : [])];
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) byStatus.set(PROBLEMS[code].status, [...(byStatus.get(PROBLEMS[code].status) ?? []), code]);
  return Object.fromEntries([...byStatus].map(([status, list]) => [String(status), problemResponse(list)]));
}

function parameters(op: Operation): unknown[] {
  const inPath = Object.entries(op.params ?? {}).map(([name, p]) => ({ name, in: 'path', required: true, description: p.description, schema: jsonSchema(p.schema, 'input') }));
  const inQuery = Object.entries(op.query?.shape ?? {}).map(([name, field]) => ({
    name,
    in: 'query',
    required: !(field as z.ZodType).safeParse(undefined).success,
    schema: jsonSchema(field as z.ZodType, 'input'),
  }));
  const inHeader = Object.entries(op.headers?.shape ?? {}).map(([name, field]) => ({
    name,
    in: 'header',
    required: !(field as z.ZodType).safeParse(undefined).success,
    description: (field as z.ZodType).description,
    schema: jsonSchema(field as z.ZodType, 'input'),
  }));
  return [...inPath, ...inQuery, ...inHeader];
}

function requestBody(body: Operation['body']): Record<string, unknown> | undefined {
  if (body === undefined) return undefined;
  if (body === 'multipart') {
    return {
      required: true,
      content: { 'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' } }, required: ['file'] } } },
    };
  }
  return { required: true, content: { 'application/json': { schema: jsonSchema(body, 'input') } } };
}

function operation(op: Operation): Record<string, unknown> {
  const ok = Object.fromEntries(
    Object.entries(op.ok).map(([status, r]) => [
      status,
      { description: r.description, ...(r.schema ? { content: { [r.mediaType ?? 'application/json']: { schema: jsonSchema(r.schema, 'output') } } } : {}) },
    ]),
  );
  const body = requestBody(op.body);
  return {
    summary: op.summary,
    ...(op.role ? { security: [{ apiKey: [] }], description: `Needs a key with the role ${op.role} or above.` } : { security: [] }),
    ...(op.params || op.query || op.headers ? { parameters: parameters(op) } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: { ...ok, ...problemsOf(op) },
  };
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) paths[op.path] = { ...paths[op.path], [op.method]: operation(op) };
  return {
    openapi: '3.1.0',
    info: { title: 'Durable Inference', version: '1', description: 'Exactly-once model inference per record. Errors are application/problem+json (RFC 9457).' },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: `di_<key id>_<secret>`, or one of API_KEYS.' } },
      // ModelOutput by name: the console validates an operator's correction against it before sending.
      schemas: { Problem: jsonSchema(problemSchema, 'output'), ModelOutput: jsonSchema(modelOutputSchema, 'input') },
    },
  };
}
