import type { Client } from '@temporalio/client';
import { ensureSchedule } from '../temporal/schedule';

/** The deep inference health probe's Schedule (DESIGN §13): one run a minute for the whole fleet. */
export const INFERENCE_HEALTH_SCHEDULE_ID = 'inference-health';
const EVERY_MS = 60_000;

export function ensureInferenceHealthSchedule(temporal: Client, taskQueue: string): Promise<'created' | 'exists'> {
  return ensureSchedule(temporal, {
    scheduleId: INFERENCE_HEALTH_SCHEDULE_ID,
    spec: { intervals: [{ every: EVERY_MS }] },
    action: { type: 'startWorkflow', workflowType: 'inferenceHealth', taskQueue, args: [] },
  });
}
