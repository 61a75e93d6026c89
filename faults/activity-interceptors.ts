/**
 * Carries out the faults the workflow interceptor put in an activity's header, at the activity's
 * real boundary: `before` fails the attempt before the activity does anything, `after` lets it
 * commit its side effect and then fails the attempt as if the worker died before reporting (the
 * ambiguous case). A provider fault is handed to the provider-client decorator for the model call
 * this attempt makes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ApplicationFailure } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, Next } from '@temporalio/worker';
import { FailureType, firstDue, type ProviderFault, type StepFault } from '../contract';
import type { FaultHooks } from './hooks';
import { faultsFromHeaders } from './transport';

/** The provider fault due on the current attempt, for the decorator of the client that attempt calls. */
export const dueProviderFault = new AsyncLocalStorage<ProviderFault | undefined>();

async function inject(ctx: Context, faults: StepFault[], when: StepFault['when'], hooks: FaultHooks): Promise<void> {
  const { attempt, startToCloseTimeoutMs } = ctx.info;
  const fault = firstDue(faults.filter((f) => f.when === when), attempt);
  if (!fault) return;
  if (fault.kind === 'crash') hooks.crash();
  // Past the activity's own timeout, so Temporal sees it hang; then it fails like any lost attempt.
  if (fault.kind === 'timeout') await hooks.hang(startToCloseTimeoutMs + 1_000);
  throw ApplicationFailure.create({
    type: FailureType.InjectedFault,
    message: `injected ${fault.kind} ${when} ${fault.step} (attempt ${attempt} of ${fault.times})`,
    details: [fault],
  });
}

/** Installed only on a worker with FAULT_INJECTION=enabled. */
export function faultInjectingInterceptors(hooks: FaultHooks): ActivityInterceptorsFactory {
  return (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
        const faults = faultsFromHeaders(input.headers);
        if (!faults) return next(input);
        await inject(ctx, faults.step, 'before', hooks);
        const result = await dueProviderFault.run(firstDue(faults.provider, ctx.info.attempt), () => next(input));
        await inject(ctx, faults.step, 'after', hooks);
        return result;
      },
    };
    return { inbound };
  };
}

/** On a worker without fault injection: a plan it meets is ignored, and the log says so (DESIGN §8). */
export function planIgnoringInterceptors(): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
        if (faultsFromHeaders(input.headers)) ctx.log.warn('fault plan ignored: fault injection is disabled on this worker (FAULT_INJECTION)');
        return next(input);
      },
    },
  });
}
