/** The names a record goes by in Temporal and at the billing provider (DESIGN §3, §4). */
export const DEFAULT_TASK_QUEUE = 'records';
export const workflowIdFor = (id: string): string => `record-${id}`;
export const idempotencyKey = {
  charge: (id: string) => `charge-${id}`,
  inference: (id: string) => `infer-${id}`,
  persist: (id: string) => `persist-${id}`,
  refund: (id: string) => `refund-${id}`,
};
export const providerTaskQueue = (provider: string): string => `provider-${provider}`;
