/**
 * The HL7 v2 listener (DESIGN §7): MLLP over TCP, every message through the one `ingest` (G5).
 * ACK `AA` only once the record is stored and its workflow started (or found as a duplicate);
 * `AE` when the message itself is wrong, so resending it cannot help; `AR` when the pipeline cannot
 * take work now, so the sender keeps the message and retries.
 */
import type { AckCode } from '@medplum/core';
import { createServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { PipelineUnavailableError, type Ingest } from '../ingest';
import { ackFor, readHl7, type Hl7Candidate } from './hl7';
import { encodeFrame, MllpDecoder, type Frame } from './framing';

export interface MllpListenerOptions {
  port: number;
  host?: string;
  ingest: Ingest;
  log: Logger;
  /** Larger frames get AE without being held in memory. */
  maxMessageBytes?: number;
}

export interface MllpListener {
  port: number;
  close(): Promise<void>;
}

const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

interface Answer {
  code: AckCode;
  reason?: string;
}

async function answerFor(candidate: Hl7Candidate, ingest: Ingest, log: Logger): Promise<Answer> {
  try {
    const result = await ingest('mllp', candidate);
    log.info({ id: candidate.id, outcome: result.outcome }, 'HL7 message ingested');
    switch (result.outcome) {
      case 'accepted':
        return { code: 'AA' };
      case 'duplicate':
        return { code: 'AA', reason: `duplicate of record ${result.id} (${result.status})` };
      // Over budget is AE, not AR: resending cannot help until the budget changes, so the sender must not retry it forever.
      case 'conflict':
      case 'over_budget':
        return { code: 'AE', reason: result.message };
      case 'invalid':
        return { code: 'AE', reason: `record ${candidate.id}: ${result.message}` };
    }
  } catch (err) {
    // Anything but a rejection by content is worth a retry: the sender keeps the message, nothing is lost.
    if (err instanceof PipelineUnavailableError) log.warn({ id: candidate.id, err }, 'pipeline unavailable: AR');
    else log.error({ id: candidate.id, err }, 'HL7 message failed: AR');
    return { code: 'AR', reason: err instanceof PipelineUnavailableError ? err.message : 'internal error; resend the message' };
  }
}

async function respond(frame: Frame, ingest: Ingest, log: Logger, maxBytes: number): Promise<string> {
  if (frame.kind === 'oversize') return ackFor(undefined, 'AE', `message of ${frame.bytes} bytes exceeds the limit of ${maxBytes}`);
  const reading = readHl7(frame.payload);
  if (!reading.ok) {
    log.warn({ reason: reading.reason }, 'HL7 message rejected: AE');
    return ackFor(reading.message, 'AE', reading.reason);
  }
  const { code, reason } = await answerFor(reading.candidate, ingest, log);
  return ackFor(reading.message, code, reason);
}

interface Connection {
  /** Stops reading, lets the message in hand get its ACK, then ends the connection. */
  drain(): Promise<void>;
}

type Settings = Required<Pick<MllpListenerOptions, 'ingest' | 'log' | 'maxMessageBytes'>>;

/** One connection: frames are answered one at a time, in order, and reading pauses meanwhile. */
function serve(socket: Socket, { ingest, log, maxMessageBytes }: Settings): Connection {
  const decoder = new MllpDecoder(maxMessageBytes);
  let idle = Promise.resolve();
  let draining = false;
  const answer = async (frames: Frame[]) => {
    for (const frame of frames) {
      const ack = await respond(frame, ingest, log, maxMessageBytes);
      if (socket.writable) socket.write(encodeFrame(Buffer.from(ack, 'utf8')));
    }
  };
  socket.setKeepAlive(true, 60_000);
  socket.on('error', (err) => log.debug({ err: err.message }, 'MLLP connection error'));
  socket.on('data', (chunk: Buffer) => {
    const frames = draining ? [] : decoder.push(chunk);
    if (frames.length === 0) return;
    socket.pause();
    idle = answer(frames).then(
      () => void (draining || socket.resume()),
      // Without an ACK the sender resends: closing is the safe answer to our own failure.
      (err: unknown) => {
        log.error({ err }, 'MLLP connection failed');
        socket.destroy();
      },
    );
  });
  return {
    async drain() {
      draining = true;
      socket.pause();
      await idle;
      socket.end();
    },
  };
}

const CLOSE_GRACE_MS = 5_000;

export async function startMllpListener(options: MllpListenerOptions): Promise<MllpListener> {
  const settings = { ingest: options.ingest, log: options.log, maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES };
  const connections = new Map<Socket, Connection>();
  const server = createServer((socket) => {
    connections.set(socket, serve(socket, settings));
    socket.once('close', () => connections.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.log.info({ port }, 'MLLP listener ready');
  return {
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections.values()].map((c) => c.drain()));
      // A sender that never closes its side must not hold the shutdown.
      const grace = setTimeout(() => connections.forEach((_c, socket) => socket.destroy()), CLOSE_GRACE_MS);
      await closed;
      clearTimeout(grace);
    },
  };
}
