import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type PersistInput, type PersistResult } from '../contract';
import { enterStep, transition } from '../db/transitions';
import type { ActivityDeps } from './deps';

export function createPersistActivity({ db }: ActivityDeps) {
  return async function persist({ id }: PersistInput): Promise<PersistResult> {
    const { attempt } = Context.current().info;
    await enterStep(db, id, 'persist', attempt);
    const output = await db.inferenceOutput.findUnique({ where: { recordId: id }, select: { id: true } });
    if (!output) throw ApplicationFailure.nonRetryable(`record ${id} has no stored output to persist`, FailureType.InvalidInput);
    // Doing it twice is a no-op: only a record still processing moves to completed.
    const completed = await transition(db, id, { from: ['processing'], to: 'completed', step: null, actor: 'system', lastError: null });
    Context.current().log.info(completed ? 'record completed' : 'record already completed', { recordId: id, step: 'persist' });
    return { completed };
  };
}
