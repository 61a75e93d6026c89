/** POST /v1/uploads as a browser's form sends it: multipart, one field `file`. */
import type { Stack } from './stack';

export async function uploadFile(stack: Stack, name: string, content: string | Buffer, apiKey = stack.apiKey): Promise<{ status: number; body: any }> {
  const form = new FormData();
  form.append('file', new Blob([content]), name);
  const res = await fetch(`${stack.baseUrl}/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body: form });
  return { status: res.status, body: await res.json() };
}
