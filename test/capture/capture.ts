/**
 * Storing histories of the workflow code as it is now, for the replay test of every later version
 * (test/replay.test.ts, docs/versioning.md): each path a record can take, captured from a real run
 * and written as `historyToJSON(await handle.fetchHistory())`, pretty-printed, to
 * test/histories/<CAPTURE_VERSION>/<name>.json.
 */
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { statusQuery, type RecordStatusView } from '../../contract';

const { EventType } = temporal.api.enums.v1;

function captureVersion(): string {
  const version = process.env.CAPTURE_VERSION;
  if (!version || !/^v\d+$/.test(version)) {
    throw new Error('CAPTURE_VERSION names the version the current workflow code is deployed as (v2, v3…): CAPTURE_VERSION=v3 npm run capture-histories');
  }
  return version;
}

export const CAPTURE_VERSION = captureVersion();
const OUT = path.join(__dirname, '..', 'histories', CAPTURE_VERSION);

/**
 * The settings every capture runs with: the circuit breaker out of the way, so each path is the one
 * its plan describes, and a provider client timeout of 2 s, so a hanging provider costs seconds.
 */
export function captureSettings(simulatorPort: number): Record<string, string> {
  const providers = ['primary', 'fallback'].map((name) => ({
    name,
    kind: 'openai',
    baseURL: `http://127.0.0.1:${simulatorPort}/v1`,
    model: `sim-${name}-2026-11-01`,
    apiKeyEnv: 'SIMULATOR_API_KEY',
    timeoutMs: 2000,
  }));
  return { BREAKER_FAILURE_THRESHOLD: '1000', PROVIDERS: JSON.stringify(providers) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the `status` query until the record is in `status` (at `step`, when given). */
export async function waitForView(client: Client, workflowId: string, status: string, step?: string, timeoutMs = 60_000): Promise<RecordStatusView> {
  const handle = client.workflow.getHandle(workflowId);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await handle.query(statusQuery).catch(() => undefined);
    if (view?.status === status && (step === undefined || view.step === step)) return view;
    if (Date.now() > deadline) throw new Error(`${workflowId} did not reach ${status}${step ? ` at ${step}` : ''} (last: ${JSON.stringify(view)})`);
    await sleep(100);
  }
}

const UNDER_WAY = new Set([
  EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
]);

/** An open workflow is idle once no task is under way and its history has not grown for a second; answers its length. */
export async function waitIdle(client: Client, workflowId: string): Promise<number> {
  const handle = client.workflow.getHandle(workflowId);
  let last = -1;
  for (let i = 0; i < 60; i++) {
    const [description, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
    const events = history.events ?? [];
    const lastType = events.at(-1)?.eventType;
    const pending = description.raw.pendingActivities?.length ?? 0;
    if (events.length === last && pending === 0 && !UNDER_WAY.has(lastType ?? EventType.EVENT_TYPE_UNSPECIFIED)) return events.length;
    last = events.length;
    await sleep(1000);
  }
  throw new Error(`${workflowId} did not become idle`);
}

const written: Array<{ name: string; events: number; open: boolean }> = [];

/**
 * Writes the workflow's history as `<name>.json`: a closed one once it has closed as `closedAs`, an
 * open one (parked, `closedAs` RUNNING) once it is idle. A file already there is never overwritten:
 * a version's histories are captured once, from the code that version deployed.
 */
export async function capture(client: Client, name: string, workflowId: string, closedAs: 'COMPLETED' | 'RUNNING' = 'COMPLETED'): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  if (closedAs === 'RUNNING') await waitIdle(client, workflowId);
  else await handle.result();
  const { status } = await handle.describe();
  if (status.name !== closedAs) throw new Error(`${workflowId} is ${status.name}, not ${closedAs}`);
  const history = await handle.fetchHistory();
  const json = historyToJSON(history);
  const back = historyToJSON(historyFromJSON(JSON.parse(json)));
  if (back !== json) throw new Error(`${name}: the history does not read back as written`);
  const file = path.join(OUT, `${name}.json`);
  if (existsSync(file)) throw new Error(`${file} exists: histories of a deployed version are never recaptured (remove the folder to capture a version not yet deployed again)`);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(file, `${JSON.stringify(JSON.parse(json), null, 2)}\n`);
  written.push({ name, events: history.events?.length ?? 0, open: closedAs === 'RUNNING' });
}

/** What this file wrote, one line each, for the log of the capture. */
export function report(): string {
  return written.map((w) => `${CAPTURE_VERSION}/${w.name}.json\t${w.open ? 'open' : 'closed'}\t${w.events} events`).join('\n');
}
