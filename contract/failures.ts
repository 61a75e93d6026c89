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
} as const;
export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];
