/**
 * An HL7 sender over MLLP (DESIGN §7) as interface engines behave: one message at a time per
 * connection, resent after an `AR` or a lost connection until it gets its `AA`. Framing is the
 * listener's own (mllp/framing.ts); the ACK is read with @medplum/core.
 */
import { Hl7Message } from '@medplum/core';
import { connect, type Socket } from 'node:net';
import { encodeFrame, MllpDecoder } from '../../mllp/framing';
import { RECORD_ID_PREFIX } from '../../mllp/hl7';
import type { IngestAnswer } from './api-client';
import type { PlannedRecord } from './plan';
import { networkFailure, untilDone, type Attempt, type RetryPolicy } from './retry';

const ACK_TIMEOUT_MS = 30_000;
const MAX_ACK_BYTES = 64 * 1024;

export interface Ack {
  code: string;
  controlId: string;
  text: string;
}

/** An ORU^R01 whose OBX-5 is the record's text; the fixed time makes every resend byte-identical. */
function hl7MessageFor(record: PlannedRecord, messageTime: string): string {
  const controlId = record.id.slice(RECORD_ID_PREFIX.length);
  return [
    `MSH|^~\\&|CHAOS|CHAOSLAB|DURABLE|INFERENCE|${messageTime}||ORU^R01|${controlId}|P|2.5.1`,
    `PID|1||${record.index}^^^CHAOS||Chaos^Patient`,
    'OBR|1|||CHAOS^Chaos panel',
    `OBX|1|TX|NOTE^Note||${record.text}||||||F`,
  ].join('\r');
}

function parseAck(payload: Buffer): Ack {
  const msa = Hl7Message.parse(payload.toString('utf8')).getSegment('MSA');
  return { code: msa?.getField(1)?.toString() ?? '', controlId: msa?.getField(2)?.toString() ?? '', text: msa?.getField(3)?.toString() ?? '' };
}

class LinkError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One TCP connection, opened on first use and again after any failure. */
class MllpLink {
  private socket: Socket | undefined;
  private waiting: { resolve(ack: Ack): void; reject(err: Error): void } | undefined;

  constructor(private readonly port: number) {}

  async send(message: string): Promise<Ack> {
    const socket = this.socket ?? (await this.open());
    return new Promise<Ack>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new LinkError('ETIMEDOUT', `no ACK within ${ACK_TIMEOUT_MS} ms`)), ACK_TIMEOUT_MS);
      const settle = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => {
        clearTimeout(timer);
        this.waiting = undefined;
        fn(...args);
      };
      this.waiting = { resolve: settle(resolve), reject: settle(reject) };
      socket.write(encodeFrame(Buffer.from(message, 'utf8')));
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const decoder = new MllpDecoder(MAX_ACK_BYTES);
      // Events of a connection already given up on must not touch its successor.
      const current = () => this.socket === socket;
      const socket = connect({ port: this.port, host: '127.0.0.1' }, () => {
        socket.off('error', reject);
        socket.on('error', (err) => current() && this.fail(err));
        this.socket = socket;
        resolve(socket);
      });
      socket.once('error', reject);
      socket.on('close', () => current() && this.fail(new LinkError('ECONNRESET', 'the listener closed the connection')));
      socket.on('data', (chunk: Buffer) => {
        for (const frame of decoder.push(chunk)) {
          if (frame.kind === 'message' && current()) this.deliver(frame.payload);
        }
      });
    });
  }

  private deliver(payload: Buffer): void {
    let ack: Ack;
    try {
      ack = parseAck(payload);
    } catch (err) {
      return this.fail(new LinkError('EPROTO', `the listener answered with something that is not an ACK: ${(err as Error).message}`));
    }
    this.waiting?.resolve(ack);
  }

  private fail(err: Error): void {
    this.close();
    this.waiting?.reject(err);
  }
}

function answerOf(ack: Ack, controlId: string): Attempt<IngestAnswer> {
  if (ack.controlId !== controlId) return { done: { outcome: 'rejected', reason: `ACK for ${ack.controlId}, sent ${controlId}` } };
  if (ack.code === 'AR') return { retry: `AR: ${ack.text}` };
  if (ack.code !== 'AA') return { done: { outcome: 'rejected', reason: `${ack.code}: ${ack.text}` } };
  return { done: { outcome: ack.text.includes('duplicate') ? 'duplicate' : 'accepted' } };
}

export interface MllpSender {
  send(record: PlannedRecord): Promise<IngestAnswer>;
  close(): void;
}

/** A sender with a connection of its own; run several for parallel connections. */
export function createMllpSender(port: number, messageTime: string, policy: RetryPolicy): MllpSender {
  const link = new MllpLink(port);
  return {
    send: (record) => {
      const controlId = record.id.slice(RECORD_ID_PREFIX.length);
      const message = hl7MessageFor(record, messageTime);
      return untilDone(async () => {
        try {
          return answerOf(await link.send(message), controlId);
        } catch (err) {
          link.close();
          return networkFailure(err);
        }
      }, policy);
    },
    close: () => link.close(),
  };
}
