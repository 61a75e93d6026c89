import Anthropic from '@anthropic-ai/sdk';
import { classifyProviderError } from './errors';
import { sdkTransport } from './http';
import { SYSTEM_PROMPT, type Completion, type CompletionRequest, type ProviderClient, type ProviderConfig } from './types';

// The answer is one small JSON object; the cap bounds cost if a model rambles.
const MAX_TOKENS = 1024;

export function createAnthropicClient(cfg: ProviderConfig, apiKey: string): ProviderClient {
  const sdk = new Anthropic(sdkTransport(cfg, apiKey));

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
