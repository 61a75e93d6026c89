/**
 * How a record's fault plan travels (DESIGN §8): in its workflow's memo from ingest to the
 * workflow, then in the header of each activity it concerns. Imported by the workflow bundle, so it
 * holds nothing that is not deterministic.
 */
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import type { FaultPlan, ProviderFault, StepFault } from '../contract';

/** The memo field ingest writes and the workflow interceptor reads. */
export const PLAN_MEMO_KEY = 'faultPlan';
/** The activity header the workflow interceptor writes and the activity interceptor reads. */
export const FAULTS_HEADER = 'fault-plan';

/** What one scheduled activity may suffer: its step's faults and, for a model call, its provider's. */
export interface ActivityFaults {
  step: StepFault[];
  provider: ProviderFault[];
}

export const memoFor = (plan: FaultPlan | undefined): Record<string, unknown> | undefined =>
  plan ? { [PLAN_MEMO_KEY]: plan } : undefined;

export const withFaultsHeader = (headers: Headers, faults: ActivityFaults): Headers => ({
  ...headers,
  [FAULTS_HEADER]: defaultPayloadConverter.toPayload(faults),
});

export function faultsFromHeaders(headers: Headers): ActivityFaults | undefined {
  const payload = headers[FAULTS_HEADER];
  return payload ? defaultPayloadConverter.fromPayload<ActivityFaults>(payload) : undefined;
}
