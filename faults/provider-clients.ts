/**
 * The provider-client decorator: a model call made during an attempt that has a provider fault due
 * asks the endpoint to serve it, over real HTTP, with the `x-simulate-fault` header (DESIGN §8).
 */
import { Context } from '@temporalio/activity';
import type { ProviderClient } from '../providers/types';
import { dueProviderFault } from './activity-interceptors';
import { ATTEMPT_HEADER, faultHeader } from './wire';

export function withProviderFaults(client: ProviderClient): ProviderClient {
  return {
    complete(req) {
      const fault = dueProviderFault.getStore();
      const headers = { ...req.headers, [ATTEMPT_HEADER]: String(Context.current().info.attempt), ...(fault ? faultHeader(fault) : {}) };
      return client.complete({ ...req, headers });
    },
  };
}
