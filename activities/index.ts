import { createChargeActivity } from './charge';
import { createDegradeActivity } from './degrade';
import type { ActivityDeps } from './deps';
import { createHealthActivity } from './health';
import { createInferenceActivity } from './inference';
import { createLifecycleActivities } from './lifecycle';
import { createPersistActivity } from './persist';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    charge: createChargeActivity(deps),
    infer: createInferenceActivity(deps),
    persist: createPersistActivity(deps),
    degrade: createDegradeActivity(deps),
    probeInference: createHealthActivity(deps),
    ...createLifecycleActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
