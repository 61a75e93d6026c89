/** Payload keys for development tooling: `npm start`'s own, kept in DATA_DIR, and throwaway ones for harnesses. */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_PAYLOAD_KEYS_FILE } from '../config';
import { PAYLOAD_KEY_BYTES, type PayloadKey } from '../temporal/codec';

export const newPayloadKey = (id: string): PayloadKey => ({ id, key: randomBytes(PAYLOAD_KEY_BYTES) });

/** The PAYLOAD_KEYS value for these keys, the first the one that encrypts. */
export const payloadKeysSetting = (keys: readonly PayloadKey[]): string => keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');

/**
 * Makes the development key once, readable by its owner only, and leaves an existing one alone: the
 * workflows in DATA_DIR stay readable across restarts. Its id is random, so a key made again after
 * DATA_DIR was wiped is told apart in an error. Returns whether it was made now.
 */
export function ensureDevPayloadKey(dataDir: string): { file: string; created: boolean } {
  const file = join(dataDir, DEV_PAYLOAD_KEYS_FILE);
  try {
    writeFileSync(file, `${payloadKeysSetting([newPayloadKey(`dev-${randomBytes(4).toString('hex')}`)])}\n`, { mode: 0o600, flag: 'wx' });
    return { file, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { file, created: false };
    throw err;
  }
}
