/**
 * A step's retry policy and the activity options made from it. Free of zod, so the benchmark's
 * baseline workflow can use it without bundling the rest of the contract.
 */
import type { ActivityOptions } from '@temporalio/common';

export interface RetryOptions {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** 0: unlimited, for the lifecycle transitions that must outlast any outage. */
  maximumAttempts: number;
  startToCloseTimeoutMs: number;
}

/**
 * A step's activity options: the pipeline's and the benchmark baseline's, so the two cannot drift
 * apart. `summary` names the step and its idempotency key in the Web UI's event history.
 */
export function activityOptionsFrom(retry: RetryOptions, where: { taskQueue?: string; summary?: string } = {}): ActivityOptions {
  return {
    ...where,
    startToCloseTimeout: retry.startToCloseTimeoutMs,
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maximumIntervalMs,
      ...(retry.maximumAttempts > 0 ? { maximumAttempts: retry.maximumAttempts } : {}),
    },
  };
}
