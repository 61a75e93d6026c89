import { readFileSync } from 'node:fs';
import { Client, Connection, type ClientPlugin, type TLSConfig } from '@temporalio/client';
import type { AppConfig } from '../config';

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

/** The one Temporal client of a process. */
export async function connectClient(temporal: AppConfig['temporal'], plugins: ClientPlugin[] = []): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(temporal));
  return new Client({ connection, namespace: temporal.namespace, plugins });
}

export const temporalUiLink = (uiUrl: string, namespace: string, workflowId: string): string =>
  `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
