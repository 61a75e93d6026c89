/** Runs one parsed command against the API and writes its answer: a view in a terminal, JSON for scripts. */
import type { ApiClient } from './api';
import type { Command } from './args';
import type { Terminal } from './bar';
import { createProgress } from './progress';
import { renderList, renderRecord, renderResolve } from './render';
import { retryAllInvestigating, type RetryAllOutcome } from './retry-all';

export interface CommandIo {
  stdout: Terminal;
  stderr: Terminal;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function print<T>(io: CommandIo, json: boolean, answer: T, render: (answer: T) => string): void {
  io.stdout.write(`${json ? JSON.stringify(answer, null, 2) : render(answer)}\n`);
}

function renderRetryAll({ retried, failed, unreached }: RetryAllOutcome): string {
  const lines = [retried.length + failed.length === 0 ? 'no records need investigation' : `retry sent to ${retried.length} record(s)`];
  if (failed.length > 0) lines.push(`failed for ${failed.length}: ${failed.map((f) => f.id).join(', ')}`);
  if (unreached) lines.push('more parked records than one listing holds: run it again once these have moved on');
  return lines.join('\n');
}

async function retryAll(client: ApiClient, io: CommandIo, json: boolean): Promise<number> {
  const outcome = await retryAllInvestigating(client, createProgress(io.stderr, 'retrying'));
  print(io, json, outcome, renderRetryAll);
  return outcome.failed.length > 0 || outcome.unreached ? EXIT.failed : EXIT.ok;
}

export async function runCommand(command: Exclude<Command, { name: 'help' }>, client: ApiClient, io: CommandIo): Promise<number> {
  switch (command.name) {
    case 'list':
      print(io, command.json, await client.listRecords(command), renderList);
      break;
    case 'show':
      print(io, command.json, await client.getRecord(command.id), renderRecord);
      break;
    case 'retry':
      print(io, command.json, await client.resolve(command.id, { action: 'retry' }), renderResolve);
      break;
    case 'abandon':
      print(io, command.json, await client.resolve(command.id, { action: 'abandon', reason: command.reason }), renderResolve);
      break;
    case 'retry-all':
      return retryAll(client, io, command.json);
  }
  return EXIT.ok;
}
