/** Runs one parsed command against the API and writes its answer: a view in a terminal, JSON for scripts. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { modelOutputSchema, type ModelOutput } from '../contract';
import type { ApiClient } from './api';
import { UsageError, type Command } from './args';
import type { Terminal } from './bar';
import { createProgress } from './progress';
import { renderAccount, renderAccounts, renderKey, renderList, renderRecord, renderResolved, renderRevoked, renderUsage } from './render';
import { retryAllInvestigating, type RetryAllOutcome } from './retry-all';

export interface CommandIo {
  stdout: Terminal;
  stderr: Terminal;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function print<T>(io: CommandIo, json: boolean, answer: T, render: (answer: T) => string): void {
  io.stdout.write(`${json ? JSON.stringify(answer, null, 2) : render(answer)}\n`);
}

function renderRetryAll({ retried, skipped, failed }: RetryAllOutcome): string {
  const lines = [retried.length + failed.length + skipped.length === 0 ? 'no records need investigation' : `retry sent to ${retried.length} record(s)`];
  if (skipped.length > 0) {
    lines.push(`skipped ${skipped.length} low-confidence record(s): ${skipped.join(', ')}`);
    lines.push('  a retry would discard their stored output: approve <id> or correct <id> --output <file> each');
  }
  if (failed.length > 0) lines.push(`failed for ${failed.length}: ${failed.map((f) => f.id).join(', ')}`);
  return lines.join('\n');
}

async function retryAll(client: ApiClient, io: CommandIo, json: boolean): Promise<number> {
  const outcome = await retryAllInvestigating(client, createProgress(io.stderr, 'retrying'));
  print(io, json, outcome, renderRetryAll);
  return outcome.failed.length > 0 ? EXIT.failed : EXIT.ok;
}

/** The correction, checked against the output schema here, so a mistake never reaches the record's workflow. */
async function correctionFrom(file: string): Promise<ModelOutput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`correct: cannot read ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`correct: ${file} is not JSON`);
  }
  const output = modelOutputSchema.safeParse(value);
  if (!output.success) throw new UsageError(`correct: ${file} is not a valid output ({summary, labels, confidence}):\n${z.prettifyError(output.error)}`);
  return output.data;
}

export async function runCommand(command: Exclude<Command, { name: 'help' }>, client: ApiClient, io: CommandIo): Promise<number> {
  switch (command.name) {
    case 'list':
      print(io, command.json, await client.listRecords(command.query), renderList);
      break;
    case 'show':
      print(io, command.json, await client.getRecord(command.ref), renderRecord);
      break;
    case 'retry':
    case 'approve':
      print(io, command.json, await client.resolve(command.ref, { action: command.name }), renderResolved(command.name));
      break;
    case 'abandon':
      print(io, command.json, await client.resolve(command.ref, { action: 'abandon', reason: command.reason }), renderResolved('abandon'));
      break;
    case 'correct': {
      const output = await correctionFrom(command.outputFile);
      print(io, command.json, await client.resolve(command.ref, { action: 'correct', output }), renderResolved('correct'));
      break;
    }
    case 'retry-all':
      return retryAll(client, io, command.json);
    case 'accounts list':
      print(io, command.json, await client.listAccounts(), renderAccounts);
      break;
    case 'accounts show':
      print(io, command.json, await client.getAccount(command.id), renderAccount);
      break;
    case 'accounts create':
      print(io, command.json, await client.createAccount(command.body), renderAccount);
      break;
    case 'accounts update':
      print(io, command.json, await client.updateAccount(command.id, command.patch), renderAccount);
      break;
    case 'keys create':
      print(io, command.json, await client.createKey(command.account, command.role), renderKey);
      break;
    case 'keys revoke':
      print(io, command.json, await client.revokeKey(command.keyId), renderRevoked);
      break;
    case 'usage':
      print(io, command.json, await client.usage(command.query), renderUsage);
      break;
  }
  return EXIT.ok;
}
