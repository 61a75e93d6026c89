/**
 * The names a record goes by (DESIGN §3, §4, §11): its global id is `<id>` in the `default`
 * account and `<account>/<id>` elsewhere, and the workflow id, the idempotency keys and
 * `records.id` all use the global id, so two accounts can use the same record id without meeting.
 */
export const DEFAULT_TASK_QUEUE = 'records';
export const DEFAULT_ACCOUNT = 'default';

export const globalIdOf = (account: string, recordKey: string): string =>
  account === DEFAULT_ACCOUNT ? recordKey : `${account}/${recordKey}`;

/** A record id never holds a '/', an account id never does either: the first '/' separates them. */
export function splitGlobalId(id: string): { account: string; recordKey: string } {
  const slash = id.indexOf('/');
  return slash === -1 ? { account: DEFAULT_ACCOUNT, recordKey: id } : { account: id.slice(0, slash), recordKey: id.slice(slash + 1) };
}

export const workflowIdFor = (id: string): string => `record-${id}`;
export const idempotencyKey = {
  charge: (id: string) => `charge-${id}`,
  inference: (id: string) => `infer-${id}`,
  persist: (id: string) => `persist-${id}`,
  refund: (id: string) => `refund-${id}`,
};
export const providerTaskQueue = (provider: string): string => `provider-${provider}`;
