import { readFileSync } from 'node:fs';
import { Client, Connection, type ClientPlugin, type ConnectionLike, type DataConverter, type TLSConfig } from '@temporalio/client';
import { ConfigError, type AppConfig } from '../config';
import { EncryptionCodec, type PayloadKey } from './codec';

/**
 * What both connection kinds (the client's Connection, the worker's NativeConnection) take. The
 * certificates are read here, at connect time, so a rotated file is picked up by a restart.
 */
export function temporalConnectionOptions(temporal: AppConfig['temporal']): { address: string; tls?: TLSConfig; apiKey?: string } {
  const { tls, apiKey } = temporal;
  return {
    address: temporal.address,
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(tls === false
      ? {}
      : {
          tls: {
            ...(tls.clientCertPath !== undefined && tls.clientKeyPath !== undefined
              ? { clientCertPair: { crt: readFileSync(tls.clientCertPath), key: readFileSync(tls.clientKeyPath) } }
              : {}),
            ...(tls.serverCaCertPath !== undefined ? { serverRootCACertificate: readFileSync(tls.serverCaCertPath) } : {}),
          },
        }),
  };
}

/** The codec every client, worker and the codec endpoint use; no key is a configuration error, never plaintext. */
export function payloadCodec(keys: readonly PayloadKey[]): EncryptionCodec {
  if (keys.length === 0) throw new ConfigError('PAYLOAD_KEYS is not set, and DATA_DIR holds no development key: `npm start` makes one, or set PAYLOAD_KEYS');
  return new EncryptionCodec(keys);
}

/** For every Client and Worker.create: Temporal then sees record data only encrypted (G8). */
export const payloadDataConverter = (keys: readonly PayloadKey[]): DataConverter => ({ payloadCodecs: [payloadCodec(keys)] });

/** The one Temporal client of a process, on a connection of its own. */
export async function connectClient(temporal: AppConfig['temporal'], plugins: ClientPlugin[] = []): Promise<Client> {
  return temporalClient(temporal, await Connection.connect(temporalConnectionOptions(temporal)), plugins);
}

/**
 * The Temporal client on a connection the process already has: a worker process passes its
 * workers' NativeConnection rather than open a second, gRPC-in-JavaScript one.
 */
export function temporalClient(temporal: AppConfig['temporal'], connection: ConnectionLike, plugins: ClientPlugin[] = []): Client {
  return new Client({ connection, namespace: temporal.namespace, plugins, dataConverter: payloadDataConverter(temporal.payloadKeys) });
}

export const temporalUiLink = (uiUrl: string, namespace: string, workflowId: string): string =>
  `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
