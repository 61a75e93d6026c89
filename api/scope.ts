/**
 * What a key may see (DESIGN §6, §11): its own account, or any account for an admin. A path names
 * a record by the id its account gave it; an admin names another account's record by its global
 * id `<account>/<id>` (URL-encoded: `acme%2Fr-1`). Another account's record is always 404, never
 * 403, so a key cannot learn what exists outside its account.
 */
import { accountIdSchema, globalIdOf, recordIdSchema } from '../contract';
import type { KeyAuth } from './auth';
import { invalid, Problem } from './problem';

export interface RecordRef {
  /** The global id: records.id and the workflow's. */
  id: string;
  account: string;
  /** The id the account gave it. */
  recordKey: string;
}

export function recordIn(auth: KeyAuth, pathId: string): RecordRef {
  const slash = pathId.indexOf('/');
  const account = slash === -1 ? auth.account : pathId.slice(0, slash);
  const recordKey = slash === -1 ? pathId : pathId.slice(slash + 1);
  const key = recordIdSchema.safeParse(recordKey);
  if (!key.success) throw invalid(key.error);
  const owner = accountIdSchema.safeParse(account);
  if (!owner.success) throw invalid(owner.error);
  if (account !== auth.account && auth.role !== 'admin') throw new Problem('not_found', `no record ${pathId}`);
  return { id: globalIdOf(account, recordKey), account, recordKey };
}

/** The accounts a listing covers: `undefined` is every account (an admin that named none). */
export function accountsIn(auth: KeyAuth, requested: string | undefined): string[] | undefined {
  if (auth.role === 'admin') return requested === undefined ? undefined : [requested];
  if (requested !== undefined && requested !== auth.account) throw new Problem('not_found', `no account ${requested}`);
  return [auth.account];
}
