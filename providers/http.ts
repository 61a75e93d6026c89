import nodeFetch from 'node-fetch';

/**
 * The provider SDKs' HTTP client: node-fetch, which runs on Node's own `http` module, in place of
 * the global `fetch` (undici), which parses responses in WebAssembly. Per model call through either
 * SDK against a local server it costs about a third less CPU, and the bench's worker spends about
 * 2 ms less CPU per record (BENCHMARKS.md, *The model call on Node's http*). Node's global
 * agents keep connections alive, as undici does.
 */
// node-fetch's types describe its own Request and Response classes; the SDKs use only what the
// Fetch standard gives both (status, headers.get, json, text, an AbortSignal).
export const providerFetch = nodeFetch as unknown as typeof fetch;
