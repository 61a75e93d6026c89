import nodeFetch from 'node-fetch';
import type { ProviderConfig } from './types';

/**
 * The provider SDKs' HTTP client: node-fetch, which runs on Node's own `http` module, in place of
 * the global `fetch` (undici), which parses responses in WebAssembly. Per model call through either
 * SDK against a local server it costs about a third less CPU, and the bench's worker spends about
 * 2 ms less CPU per record (BENCHMARKS.md, *The model call on Node's http*). Node's global
 * agents keep connections alive, as undici does.
 */
// node-fetch's types describe its own Request and Response classes; the SDKs use only what the
// Fetch standard gives both (status, headers.get, json, text, an AbortSignal).
const providerFetch = nodeFetch as unknown as typeof fetch;

/** How every provider SDK is constructed to talk HTTP: the options both SDKs name alike. */
export function sdkTransport(cfg: ProviderConfig, apiKey: string) {
  // Temporal is the one retry authority (DESIGN §4): a retrying SDK would hide calls from the history.
  return { apiKey, baseURL: cfg.baseURL, maxRetries: 0, timeout: cfg.timeoutMs, fetch: providerFetch };
}
