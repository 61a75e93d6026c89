import { Client, Connection } from '@temporalio/client';
import type { AppConfig } from '../config';

/** The one Temporal client of a process. */
export async function connectClient(temporal: AppConfig['temporal']): Promise<Client> {
  const connection = await Connection.connect({ address: temporal.address });
  return new Client({ connection, namespace: temporal.namespace });
}

export const temporalUiLink = (uiUrl: string, namespace: string, workflowId: string): string =>
  `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
