/**
 * Bundled with the workflows: hands each activity the faults its record's plan holds for it, in a
 * header, and only in a step's first round: after an operator's `retry` (the `resume` lifecycle
 * activity) that step runs without injected faults (DESIGN §8). A workflow without a plan in its
 * memo, which is every workflow where ingest does not accept plans, schedules its activities as is.
 */
import type { ActivityInput, LocalActivityInput, Next, WorkflowInterceptors, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';
import { workflowInfo } from '@temporalio/workflow';
import { providerFaultsOf, stepFaultsOf, type FaultPlan, type InferInput, type ResumeInput, type Step } from '../contract';
import { PLAN_MEMO_KEY, withFaultsHeader, type ActivityFaults } from './transport';

/** The pipeline's step activities and the step each one is. */
const STEP_OF_ACTIVITY: Record<string, Step> = { charge: 'charge', infer: 'inference', persist: 'persist' };
const RESUME_ACTIVITY = 'resume';

class FaultPlanInterceptor implements WorkflowOutboundCallsInterceptor {
  private readonly resumed = new Set<Step>();
  private plan: FaultPlan | null | undefined;

  /** Read on first use: the memo is not yet known when the SDK makes the workflow's interceptors. */
  private get faultPlan(): FaultPlan | null {
    this.plan ??= (workflowInfo().memo?.[PLAN_MEMO_KEY] as FaultPlan | undefined) ?? null;
    return this.plan;
  }

  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    return next(this.planned(input));
  }

  scheduleLocalActivity(input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>) {
    return next(this.planned(input));
  }

  private planned<I extends ActivityInput | LocalActivityInput>(input: I): I {
    if (input.activityType === RESUME_ACTIVITY) this.resumed.add((input.args[0] as ResumeInput).step);
    const step = STEP_OF_ACTIVITY[input.activityType];
    const plan = this.faultPlan;
    if (!plan || !step || this.resumed.has(step)) return input;
    const faults: ActivityFaults = {
      step: stepFaultsOf(plan, step),
      provider: step === 'inference' ? providerFaultsOf(plan, (input.args[0] as InferInput).provider) : [],
    };
    if (faults.step.length + faults.provider.length === 0) return input;
    return { ...input, headers: withFaultsHeader(input.headers, faults) };
  }
}

export const interceptors = (): WorkflowInterceptors => ({ outbound: [new FaultPlanInterceptor()] });
