/**
 * Every Temporal payload encrypted with AES-256-GCM (DESIGN §14, G8), in the format of Temporal's
 * own encryption sample, so its codec server and tools read ours: the whole payload (metadata and
 * data) serialised as the Payload protobuf, encrypted, and wrapped in a payload whose metadata says
 * `encoding: binary/encrypted` and `encryption-key-id: <id>`; data is a 12-byte nonce, the
 * ciphertext, then the 16-byte tag (WebCrypto's layout).
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const PAYLOAD_KEY_BYTES = 32;

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = temporal.api.common.v1.Payload;

export interface PayloadKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/**
 * A payload this process cannot decrypt. The message names the key id and never the content, so it
 * may reach a workflow task failure, a log or an HTTP answer. A workflow task that meets it fails
 * and is retried by Temporal until a worker holds the key again.
 */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

const text = (bytes: Uint8Array | null | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class EncryptionCodec implements PayloadCodec {
  private readonly current: { id: string; key: KeyObject; idBytes: Uint8Array };
  private readonly byId: ReadonlyMap<string, KeyObject>;

  /** `keys[0]` encrypts; every key decrypts. */
  constructor(keys: readonly PayloadKey[]) {
    const [first] = keys;
    if (!first) throw new Error('the encryption codec needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, createSecretKey(k.key)]));
    this.current = { id: first.id, key: createSecretKey(first.key), idBytes: Buffer.from(first.id) };
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  /** A payload that is not encrypted passes through: histories written before encryption still read. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (text(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, nonce);
    const sealed = Buffer.concat([nonce, cipher.update(ProtoPayload.encode(payload).finish()), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: this.current.idBytes },
      data: sealed,
    };
  }

  private decrypt(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (keyId === undefined) throw new PayloadDecryptionError(`an encrypted payload carries no ${KEY_ID_METADATA}`);
    const key = this.byId.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload encrypted under key "${keyId}", which is not among PAYLOAD_KEYS (${[...this.byId.keys()].join(', ')}): add it back to read this payload`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < NONCE_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`payload under key "${keyId}" is too short to be encrypted`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`payload under key "${keyId}" failed authentication: altered, or encrypted with another key of that id`);
    }
    return ProtoPayload.decode(plain);
  }
}
