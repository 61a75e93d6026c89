/**
 * A plain MLLP client over TCP for the tests, written apart from the listener's own framing code
 * so that a shared mistake cannot hide: it writes exactly the bytes it is given and reads ACKs.
 */
import { Hl7Message } from '@medplum/core';
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

export interface Ack {
  code: string;
  controlId: string;
  text: string;
  message: Hl7Message;
}

export const frame = (payload: string | Buffer): Buffer => Buffer.concat([Buffer.from([0x0b]), Buffer.from(payload), Buffer.from([0x1c, 0x0d])]);

export function parseAck(payload: string): Ack {
  const message = Hl7Message.parse(payload);
  const msa = message.getSegment('MSA');
  return { code: msa?.getField(1)?.toString() ?? '', controlId: msa?.getField(2)?.toString() ?? '', text: msa?.getField(3)?.toString() ?? '', message };
}

export class MllpClient {
  private buffer = Buffer.alloc(0);
  private waiting: Array<{ resolve: (ack: Ack) => void; reject: (err: Error) => void }> = [];
  /** Why the connection ended, once it has: every later `next` fails with it at once. */
  private ended: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    let cause: Error | undefined;
    socket.on('error', (err) => (cause = err));
    socket.on('close', () => {
      this.ended = new Error(`connection closed before an ACK${cause ? `: ${cause.message}` : ''}`);
      for (const waiter of this.waiting.splice(0)) waiter.reject(this.ended);
    });
  }

  static connect(port: number): Promise<MllpClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => resolve(new MllpClient(socket)));
      socket.once('error', reject);
    });
  }

  /** MLLP over TLS; resolves once the client's side of the handshake is done. */
  static connectTls(port: number, options: ConnectionOptions): Promise<MllpClient> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({ port, host: '127.0.0.1', ...options }, () => resolve(new MllpClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes raw bytes, framed or not; ACKs are read with `next`. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  next(timeoutMs = 60_000): Promise<Ack> {
    return new Promise((resolve, reject) => {
      if (this.ended) return reject(this.ended);
      const timer = setTimeout(() => reject(new Error('no ACK within the timeout')), timeoutMs);
      this.waiting.push({
        resolve: (ack) => {
          clearTimeout(timer);
          resolve(ack);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }

  send(message: string | Buffer): Promise<Ack> {
    this.write(frame(message));
    return this.next();
  }

  close(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (let end = this.buffer.indexOf('\x1c\r'); end !== -1; end = this.buffer.indexOf('\x1c\r')) {
      const payload = this.buffer.subarray(this.buffer.indexOf(0x0b) + 1, end).toString('utf8');
      this.buffer = this.buffer.subarray(end + 2);
      this.waiting.shift()?.resolve(parseAck(payload));
    }
  }
}

/** One message over a fresh connection. */
export async function sendOnce(port: number, message: string | Buffer): Promise<Ack> {
  const client = await MllpClient.connect(port);
  try {
    return await client.send(message);
  } finally {
    client.close();
  }
}

/** A message with MSH-<n> replaced (MSH-1 is the field separator itself, so MSH-n is the n-1th field). */
function withHeaderField(text: string, n: number, value: string): string {
  const end = text.search(/[\r\n]|$/);
  const fields = text.slice(0, end).split('|');
  fields[n - 1] = value;
  return fields.join('|') + text.slice(end);
}

/** A message with its MSH-10 replaced, so each run of the tests names fresh records. */
export const withControlId = (text: string, controlId: string): string => withHeaderField(text, 10, controlId);

/** A message from another sending facility (MSH-4). */
export const withFacility = (text: string, facility: string): string => withHeaderField(text, 4, facility);
