/**
 * ApplicationFailure types: the failure chain in Temporal's history says which class of error it
 * was, and a parked record's investigation keeps it.
 */
export const FailureType = {
  InjectedFault: 'InjectedFault',
  InvalidInput: 'InvalidInput',
  RecordNotFound: 'RecordNotFound',
  ProviderRetryable: 'ProviderRetryable',
  ProviderRejected: 'ProviderRejected',
  ProviderMalformed: 'ProviderMalformed',
  CircuitOpen: 'CircuitOpen',
  /** No degradation tier could serve the record (no cached output, no rules tier configured). */
  NoTierAvailable: 'NoTierAvailable',
  /** The billing provider refused the charge (a customer it does not know, say): retrying cannot help. */
  BillingRejected: 'BillingRejected',
  /** The billing provider could not be reached or failed: retried with backoff. */
  BillingUnavailable: 'BillingUnavailable',
  /** A pending charge outlived the provider's deduplication window: re-sending it could bill twice. */
  BillingWindowPassed: 'BillingWindowPassed',
} as const;
export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];
