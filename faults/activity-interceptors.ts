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

/** Carries out the current attempt's due `after` fault, for a decorator whose side effect comes before the activity's end. */
export const dueAfterFault = new AsyncLocalStorage<() => Promise<void>>();

/** Which of `faults` is due now: by Temporal's attempt number, or, for a crash, by the crashes the site has had. */
async function due(ctx: Context, input: ActivityExecuteInput, faults: StepFault[], when: StepFault['when'], hooks: FaultHooks) {
  for (const fault of faults.filter((f) => f.when === when)) {
    const site = { recordId: (input.args[0] as { id: string }).id, step: fault.step, when };
    const attempt = fault.kind === 'crash' ? (await hooks.crashesSoFar(site)) + 1 : ctx.info.attempt;
    if (attempt <= fault.times) return { fault, attempt, site };
  }
  return undefined;
}

async function inject(ctx: Context, input: ActivityExecuteInput, faults: StepFault[], when: StepFault['when'], hooks: FaultHooks): Promise<void> {
  const found = await due(ctx, input, faults, when, hooks);
  if (!found) return;
  const { fault, attempt, site } = found;
  if (fault.kind === 'crash') await hooks.crash(site);
  // Past the activity's own timeout, so Temporal sees it hang; a cancelled attempt stops hanging.
  if (fault.kind === 'timeout') await ctx.sleep(ctx.info.startToCloseTimeoutMs + 1_000);
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
        await inject(ctx, input, faults.step, 'before', hooks);
        const after = () => inject(ctx, input, faults.step, 'after', hooks);
        const result = await dueProviderFault.run(firstDue(faults.provider, ctx.info.attempt), () => dueAfterFault.run(after, () => next(input)));
        // Reached only where no decorator carried it out: one that did has failed this attempt or ended the process.
        await after();
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
