/**
 * One trace from the HTTP request through the workflow to each activity, exported over OTLP/HTTP
 * to a real receiver on loopback (what OTEL_EXPORTER_OTLP_ENDPOINT points at in production).
 */
import { createServer, type Server } from 'node:http';
import { startTracing, type Tracing } from '../telemetry/tracing';
import { freePort } from '../dev/processes';
import { result, submit, uniqueId } from './support/records';
import { startStack, type Stack } from './support/stack';

interface ExportedSpan {
  name: string;
  traceId: string;
}

function startReceiver(port: number, spans: ExportedSpan[]): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: ExportedSpan[] }> }> };
      for (const rs of parsed.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans.map(({ name, traceId }) => ({ name, traceId })));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

let receiver: Server;
let tracing: Tracing;
let stack: Stack;
const spans: ExportedSpan[] = [];

beforeAll(async () => {
  const port = await freePort();
  receiver = await startReceiver(port, spans);
  tracing = (await startTracing(`http://127.0.0.1:${port}`, 'durable-inference-test'))!;
  stack = await startStack({ tracing });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

it('joins the API request, the workflow and every activity in one trace', async () => {
  const id = uniqueId('traced');
  expect((await submit(stack, id, 'Follow me.')).status).toBe(202);
  expect((await result(stack, id)).status).toBe('completed');
  await tracing.shutdown();
  const request = spans.find((s) => s.name === 'POST /v1/records');
  expect(request).toBeDefined();
  const trace = spans.filter((s) => s.traceId === request!.traceId).map((s) => s.name);
  expect(trace).toEqual(
    expect.arrayContaining([
      'POST /v1/records',
      'StartWorkflow:processRecord',
      'RunWorkflow:processRecord',
      'StartActivity:charge',
      'RunActivity:charge',
      'RunActivity:infer',
      'RunActivity:persist',
    ]),
  );
});
