import OpenAI from 'openai';
import { classifyProviderError } from './errors';
import { sdkTransport } from './http';
import { SYSTEM_PROMPT, type Completion, type CompletionRequest, type ProviderClient, type ProviderConfig } from './types';

export function createOpenAIClient(cfg: ProviderConfig, apiKey: string): ProviderClient {
  const sdk = new OpenAI(sdkTransport(cfg, apiKey));

  async function call(req: CompletionRequest): Promise<Completion> {
    const { data, response, request_id } = await sdk.chat.completions
      .create(
        {
          model: cfg.model,
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: req.text },
          ],
          response_format: { type: 'json_object' },
        },
        { headers: req.headers, signal: req.signal },
      )
      .withResponse();
    return {
      content: data.choices[0]?.message.content ?? '',
      httpStatus: response.status,
      tokensIn: data.usage?.prompt_tokens ?? null,
      tokensOut: data.usage?.completion_tokens ?? null,
      requestId: request_id,
    };
  }

  return {
    complete: (req) =>
      call(req).catch((err: unknown) => {
        throw classifyProviderError(err, cfg.name);
      }),
  };
}
