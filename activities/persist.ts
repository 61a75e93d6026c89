import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type StepFault } from '../contract';
import { enterStep, transition } from '../db/transitions';
import { injectStepFault } from '../faults';
import type { ActivityDeps } from './deps';

export interface PersistInput {
  id: string;
  faults: StepFault[];
}

export function createPersistActivity({ db, faultHooks }: ActivityDeps) {
  return async function persist({ id, faults }: PersistInput): Promise<{ completed: boolean }> {
    const { attempt } = Context.current().info;
    await enterStep(db, id, 'persist', attempt);
    await injectStepFault(faults, 'before', attempt, faultHooks);
    const output = await db.inferenceOutput.findUnique({ where: { recordId: id }, select: { id: true } });
    if (!output) throw ApplicationFailure.nonRetryable(`record ${id} has no stored output to persist`, FailureType.InvalidInput);
    // Doing it twice is a no-op: only a record still processing moves to completed.
    const completed = await transition(db, id, { from: ['processing'], to: 'completed', step: null, actor: 'system', lastError: null });
    Context.current().log.info(completed ? 'record completed' : 'record already completed', { recordId: id, step: 'persist' });
    await injectStepFault(faults, 'after', attempt, faultHooks);
    return { completed };
  };
}
