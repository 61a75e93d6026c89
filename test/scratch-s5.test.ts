import { uniqueId } from './support/records';
import { startStack, type Stack } from './support/stack';
import { uploadFile } from './support/uploads';
let stack: Stack;
beforeAll(async () => { stack = await startStack(); });
afterAll(async () => { await stack?.stop(); });
it('times', async () => {
  for (const n of [200, 200]) {
    const run = uniqueId('t');
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${run}-${i}`, input: { text: `t ${i}` } }));
    const t0 = Date.now();
    const r = await uploadFile(stack, 'a.jsonl', lines.join('\n'));
    console.log('UPLOAD', n, r.status, Date.now() - t0, 'ms');
    const t1 = Date.now();
    for (let i = 0; i < 20; i++) await stack.ingest('api', { id: `${run}-x${i}`, input: { text: 'y' } });
    console.log('INGEST x20', Date.now() - t1, 'ms');
  }
});
