/**
 * Fault plans (DESIGN §8) woven into the real activities at their real boundaries. A fault fires
 * on attempts 1..times of its step, Temporal's own attempt number, so a plan needs no hidden
 * state and a replayed or restarted worker makes the same decision.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type StepFault } from '../contract';

export type Moment = StepFault['when'];

export interface FaultHooks {
  /** Ends the worker process at once, as a real crash would; its supervisor restarts it. */
  crash(): never | void;
  /** Waits out the activity's timeout as a hung call would. */
  hang(): Promise<void>;
}

export function firstDue<F extends { times: number }>(faults: F[], attempt: number): F | undefined {
  return faults.find((f) => attempt <= f.times);
}

export async function injectStepFault(
  faults: StepFault[],
  when: Moment,
  attempt: number,
  hooks: FaultHooks,
): Promise<void> {
  const fault = firstDue(faults.filter((f) => f.when === when), attempt);
  if (!fault) return;
  if (fault.kind === 'crash') hooks.crash();
  if (fault.kind === 'timeout') await hooks.hang();
  throw ApplicationFailure.create({
    type: FailureType.InjectedFault,
    message: `injected ${fault.kind} ${when} ${fault.step} (attempt ${attempt} of ${fault.times})`,
    details: [fault],
  });
}

/** What a crash and a hang really do in a worker process. */
export function processFaultHooks(hangForMs: () => number): FaultHooks {
  return {
    crash: () => process.kill(process.pid, 'SIGKILL'),
    hang: () => new Promise((resolve) => setTimeout(resolve, hangForMs())),
  };
}
