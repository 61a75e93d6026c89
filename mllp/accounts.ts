/**
 * Which account an HL7 sender's records belong to (DESIGN §7): MLLP_ACCOUNTS maps the sending
 * facility (MSH-4) to an account; unmapped senders go to MLLP_DEFAULT_ACCOUNT, or nowhere (`none`).
 */
import type { Hl7Message } from '@medplum/core';
import type { MllpSettings } from '../config';

export type AccountChoice = { ok: true; account: string } | { ok: false; facility: string };

/**
 * MSH-4 as sent, else its first component (HD.1, the namespace id): a map written with the
 * facility's name also matches a sender that adds its OID (`REFERENCE LAB^2.16.840.1^ISO`).
 */
export function accountFor(message: Hl7Message, { accounts, defaultAccount }: Pick<MllpSettings, 'accounts' | 'defaultAccount'>): AccountChoice {
  const field = message.getSegment('MSH')?.getField(4);
  const facility = field?.toString() ?? '';
  const namespace = field?.getComponent(1) ?? '';
  const mapped = Object.hasOwn(accounts, facility) ? accounts[facility] : Object.hasOwn(accounts, namespace) ? accounts[namespace] : undefined;
  const account = mapped ?? defaultAccount;
  return account === null ? { ok: false, facility } : { ok: true, account };
}
