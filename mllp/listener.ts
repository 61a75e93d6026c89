/**
 * The HL7 v2 listener (DESIGN §7): MLLP over TCP or TLS, every message through the one `ingest` (G5).
 * ACK `AA` only once the record is stored and its workflow started (or found as a duplicate);
 * `AE` when the message itself is wrong, so resending it cannot help; `AR` when the pipeline cannot
 * take work now, so the sender keeps the message and retries.
 *
 * What one sender can hold is bounded: connections, idle time and frame size (MLLP_MAX_*). Every cut
 * is logged with the limit and the remote address, never with message content.
 */
import type { AckCode } from '@medplum/core';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { MllpSettings } from '../config';
import { listenOn } from '../config/runtime';
import { PipelineUnavailableError, type Ingest } from '../ingest';
import { accountFor } from './accounts';
import { ackFor, readHl7, type Hl7Candidate } from './hl7';
import { encodeFrame, MllpDecoder, type Frame } from './framing';

export interface MllpListenerOptions {
  /** Port 0: any free port (the listener's `port` says which). */
  settings: MllpSettings;
  host?: string;
  ingest: Ingest;
  log: Logger;
}

export interface MllpListener {
  port: number;
  close(): Promise<void>;
}

interface Answer {
  code: AckCode;
  reason?: string;
}

async function answerFor(candidate: Hl7Candidate, account: string, ingest: Ingest, log: Logger): Promise<Answer> {
  try {
    const result = await ingest('mllp', candidate, account);
    log.info({ id: candidate.id, account, outcome: result.outcome }, 'HL7 message ingested');
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

interface Peer {
  remote: string;
  settings: MllpSettings;
  ingest: Ingest;
  log: Logger;
}

async function respond(frame: Frame, { remote, settings, ingest, log }: Peer): Promise<string> {
  if (frame.kind === 'oversize') {
    log.warn({ limit: 'MLLP_MAX_FRAME_BYTES', remote, bytes: frame.bytes, maxFrameBytes: settings.maxFrameBytes }, 'MLLP frame over the size limit: AE');
    return ackFor(undefined, 'AE', `message of ${frame.bytes} bytes exceeds the limit of ${settings.maxFrameBytes}`);
  }
  const reading = readHl7(frame.payload);
  if (!reading.ok) {
    log.warn({ remote, reason: reading.reason }, 'HL7 message rejected: AE');
    return ackFor(reading.message, 'AE', reading.reason);
  }
  const choice = accountFor(reading.message, settings);
  if (!choice.ok) {
    // AR, not AE: the message is fine, and mapping its sender (MLLP_ACCOUNTS) lets the resend through.
    log.warn({ remote, facility: choice.facility }, 'HL7 sender not mapped to an account and MLLP_DEFAULT_ACCOUNT=none: AR');
    return ackFor(reading.message, 'AR', `sending facility ${choice.facility || '(empty MSH-4)'} is not mapped to an account`);
  }
  const { code, reason } = await answerFor(reading.candidate, choice.account, ingest, log);
  return ackFor(reading.message, code, reason);
}

interface Connection {
  /** Stops reading, lets the message in hand get its ACK, then ends the connection. */
  drain(): Promise<void>;
}

const remoteOf = (socket: { remoteAddress?: string; remotePort?: number }): string => `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;

/** One connection: frames are answered one at a time, in order, and reading pauses meanwhile. */
function serve(socket: Socket, peer: Peer): Connection {
  const { log, settings } = peer;
  const decoder = new MllpDecoder(settings.maxFrameBytes);
  let idle = Promise.resolve();
  let answering = false;
  let draining = false;
  const answer = async (frames: Frame[]) => {
    for (const frame of frames) {
      const ack = await respond(frame, peer);
      if (socket.writable) socket.write(encodeFrame(Buffer.from(ack, 'utf8')));
    }
  };
  socket.setKeepAlive(true, 60_000);
  socket.setTimeout(settings.idleTimeoutMs);
  socket.on('timeout', () => {
    // Quiet because we owe it an ACK (ingest is slow): that is our wait, not the sender's idleness.
    if (answering) return;
    log.warn({ limit: 'MLLP_IDLE_TIMEOUT_MS', remote: peer.remote, idleTimeoutMs: settings.idleTimeoutMs, midFrame: decoder.midFrame }, 'MLLP sender cut off: idle');
    socket.destroy();
  });
  socket.on('error', (err) => log.debug({ remote: peer.remote, err: err.message }, 'MLLP connection error'));
  socket.on('data', (chunk: Buffer) => {
    const frames = draining ? [] : decoder.push(chunk);
    if (frames.length === 0) return;
    socket.pause();
    answering = true;
    idle = answer(frames).then(
      () => {
        answering = false;
        if (!draining) socket.resume();
      },
      // Without an ACK the sender resends: closing is the safe answer to our own failure.
      (err: unknown) => {
        log.error({ remote: peer.remote, err }, 'MLLP connection failed');
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

/** Plain TCP, or TLS when certificates are configured; with a CA, a sender without a certificate it signed is refused. */
async function createMllpServer({ tls, idleTimeoutMs }: MllpSettings, onConnection: (socket: Socket) => void, log: Logger): Promise<Server> {
  if (!tls) return createServer(onConnection);
  const [cert, key, ca] = await Promise.all([readFile(tls.certPath), readFile(tls.keyPath), tls.caPath === undefined ? undefined : readFile(tls.caPath)]);
  const requireClientCert = ca !== undefined;
  // A handshake that stalls is an idle sender too.
  const server = createTlsServer({ cert, key, ca, requestCert: requireClientCert, rejectUnauthorized: requireClientCert, handshakeTimeout: idleTimeoutMs }, onConnection);
  server.on('tlsClientError', (err: Error & { code?: string }, socket) => {
    // Closed before saying anything: a port probe (the compose healthcheck, a load balancer), not a bad handshake.
    if (err.code === 'ECONNRESET') return void log.debug({ remote: remoteOf(socket) }, 'MLLP connection closed before the TLS handshake');
    log.warn({ remote: remoteOf(socket), err: err.code ?? err.message }, 'MLLP TLS handshake failed: connection closed');
  });
  return server;
}

const CLOSE_GRACE_MS = 5_000;

export async function startMllpListener({ settings, host, ingest, log }: MllpListenerOptions): Promise<MllpListener> {
  const connections = new Map<Socket, Connection>();
  // Every TCP connection, a TLS one still in its handshake included: what the shutdown grace ends.
  const sockets = new Set<Socket>();
  const server = await createMllpServer(
    settings,
    (socket) => {
      connections.set(socket, serve(socket, { remote: remoteOf(socket), settings, ingest, log }));
      socket.once('close', () => connections.delete(socket));
    },
    log,
  );
  server.maxConnections = settings.maxConnections;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('drop', (data) => {
    log.warn({ limit: 'MLLP_MAX_CONNECTIONS', remote: data ? remoteOf(data) : '?', maxConnections: settings.maxConnections }, 'MLLP sender cut off: too many connections');
  });
  await listenOn(server, { port: settings.port, host, setting: 'MLLP_PORT' });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  log.info({ port, tls: settings.tls !== undefined, clientCertificates: settings.tls?.caPath !== undefined }, 'MLLP listener ready');
  return {
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections.values()].map((c) => c.drain()));
      // A sender that never closes its side must not hold the shutdown.
      const grace = setTimeout(() => sockets.forEach((socket) => socket.destroy()), CLOSE_GRACE_MS);
      await closed;
      clearTimeout(grace);
    },
  };
}
