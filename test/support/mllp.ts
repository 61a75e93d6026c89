/**
 * A plain MLLP client over TCP for the tests, written apart from the listener's own framing code
 * so that a shared mistake cannot hide: it writes exactly the bytes it is given and reads ACKs.
 */
import { Hl7Message } from '@medplum/core';
import { connect, type Socket } from 'node:net';

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
  private waiting: Array<(ack: Ack) => void> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  static connect(port: number): Promise<MllpClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => resolve(new MllpClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes raw bytes, framed or not; ACKs are read with `next`. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  next(timeoutMs = 60_000): Promise<Ack> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ACK within the timeout')), timeoutMs);
      this.waiting.push((ack) => {
        clearTimeout(timer);
        resolve(ack);
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
      this.waiting.shift()?.(parseAck(payload));
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

/** A message with its MSH-10 replaced, so each run of the tests names fresh records. */
export function withControlId(text: string, controlId: string): string {
  const end = text.search(/[\r\n]|$/);
  const fields = text.slice(0, end).split('|');
  fields[9] = controlId;
  return fields.join('|') + text.slice(end);
}
