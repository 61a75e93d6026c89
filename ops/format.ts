/** How values read in a terminal; the JSON output keeps the API's raw values. */
import { globalIdOf } from '../contract';

// UTC with milliseconds: fast retries are milliseconds apart, and operators compare across zones.
export const time = (iso: string): string => iso.replace('T', ' ');

export const costMicros = (micros: number): string => (micros / 1_000_000).toFixed(6);

export const money = (cents: number, currency: string): string => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

export const orDash = (value: string | number | null | undefined): string => (value === null || value === undefined || value === '' ? '-' : String(value));

export function detail(value: Record<string, unknown> | null): string {
  if (!value) return '';
  return Object.entries(value)
    .map(([key, v]) => `${key}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** How the CLI names a record: its global id, `<id>` in `default` and `<account>/<id>` elsewhere. */
export const refOf = (r: { account: string; id: string }): string => globalIdOf(r.account, r.id);
