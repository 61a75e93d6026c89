/**
 * What a record costs Temporal, read from its workflow history: every event is a write on the
 * server, every workflow or activity task a poll and a completion by the worker.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { round } from './stats';

const { EventType } = temporal.api.enums.v1;

export interface HistoryProfile {
  sampled: number;
  eventsPerWorkflow: number;
  workflowTasksPerWorkflow: number;
  activityTasksPerWorkflow: number;
  /** Local activities and patches: recorded in the workflow task, no task of their own. */
  markersPerWorkflow: number;
  searchAttributeUpsertsPerWorkflow: number;
  /** Start, plus a poll and a completion per task: the gRPC calls one workflow takes, at least. */
  roundTripsPerWorkflow: number;
}

const SAMPLE = 20;

async function eventTypes(client: Client, workflowId: string): Promise<number[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).map((e) => Number(e.eventType));
}

/** Evenly spread over the run, so early (cold worker) and late records are both in the sample. */
export async function historyProfile(client: Client, workflowIds: readonly string[]): Promise<HistoryProfile> {
  const step = Math.max(1, Math.floor(workflowIds.length / SAMPLE));
  const sample = workflowIds.filter((_, i) => i % step === 0).slice(0, SAMPLE);
  const all = await Promise.all(sample.map((id) => eventTypes(client, id)));
  const per = (type?: number) => round(all.reduce((n, types) => n + types.filter((t) => type === undefined || t === type).length, 0) / all.length, 1);
  const workflowTasks = per(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  const activityTasks = per(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  return {
    sampled: sample.length,
    eventsPerWorkflow: per(),
    workflowTasksPerWorkflow: workflowTasks,
    activityTasksPerWorkflow: activityTasks,
    markersPerWorkflow: per(EventType.EVENT_TYPE_MARKER_RECORDED),
    searchAttributeUpsertsPerWorkflow: per(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
    roundTripsPerWorkflow: round(1 + 2 * (workflowTasks + activityTasks), 1),
  };
}
