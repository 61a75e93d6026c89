import Anthropic from '@anthropic-ai/sdk';
import { classifyProviderError } from './errors';
import { providerFetch } from './http';
import { SYSTEM_PROMPT, type Completion, type CompletionRequest, type ProviderClient, type ProviderConfig } from './types';

// The answer is one small JSON object; the cap bounds cost if a model rambles.
const MAX_TOKENS = 1024;

export function createAnthropicClient(cfg: ProviderConfig, apiKey: string): ProviderClient {
  // Temporal is the one retry authority (DESIGN §4): a retrying SDK would hide calls from the history.
  const sdk = new Anthropic({ apiKey, baseURL: cfg.baseURL, maxRetries: 0, timeout: cfg.timeoutMs, fetch: providerFetch });

  async function call(req: CompletionRequest): Promise<Completion> {
    const { data, response, request_id } = await sdk.messages
      .create(
        {
          model: cfg.model,
          max_tokens: MAX_TOKENS,
          system: SYSTEM_PROMPT,
          messages: [{ role: 'user', content: req.text }],
        },
        { headers: req.headers, signal: req.signal },
      )
      .withResponse();
    return {
      content: data.content.map((block) => (block.type === 'text' ? block.text : '')).join(''),
      httpStatus: response.status,
      tokensIn: data.usage.input_tokens,
      tokensOut: data.usage.output_tokens,
      requestId: request_id ?? null,
    };
  }

  return {
    complete: (req) =>
      call(req).catch((err: unknown) => {
        throw classifyProviderError(err, cfg.name);
      }),
  };
}
