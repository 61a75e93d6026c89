/**
 * How the Temporal connection settings (TLS, mTLS, API key; Temporal's own variable names) and the
 * pre-built workflow bundle are read from the environment, and what they become at connect time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { temporalConnectionOptions } from '../temporal/client';

const BASE = { NODE_ENV: 'test', TEMPORAL_ADDRESS: 'temporal.example:7233' };
const temporalFrom = (settings: Record<string, string>) => loadConfig({ ...BASE, ...settings }).temporal;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'temporal-tls-'));
  writeFileSync(path.join(dir, 'client.pem'), 'client certificate');
  writeFileSync(path.join(dir, 'client.key'), 'client key');
  writeFileSync(path.join(dir, 'ca.pem'), 'private CA');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Temporal connection settings', () => {
  it('connects in plaintext without a key by default (the local dev server, the compose network)', () => {
    const temporal = temporalFrom({});
    expect(temporal).toMatchObject({ apiKey: undefined, tls: false });
    expect(temporalConnectionOptions(temporal)).toEqual({ address: 'temporal.example:7233' });
  });

  it('turns TLS on with an API key, as Temporal Cloud needs', () => {
    const temporal = temporalFrom({ TEMPORAL_API_KEY: 'secret' });
    expect(temporal).toMatchObject({ apiKey: 'secret', tls: {} });
    expect(temporalConnectionOptions(temporal)).toEqual({ address: 'temporal.example:7233', apiKey: 'secret', tls: {} });
  });

  it('reads the mTLS pair and a private CA from their files when connecting', () => {
    const temporal = temporalFrom({
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'client.key'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
    });
    const { tls } = temporalConnectionOptions(temporal);
    expect({
      crt: tls?.clientCertPair?.crt.toString(),
      key: tls?.clientCertPair?.key.toString(),
      ca: tls?.serverRootCACertificate?.toString(),
    }).toEqual({ crt: 'client certificate', key: 'client key', ca: 'private CA' });
  });

  it('fails at start, not at connect, for half an mTLS pair or a contradiction', () => {
    expect(() => temporalFrom({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' })).toThrow(ConfigError);
    expect(() => temporalFrom({ TEMPORAL_TLS_CLIENT_KEY_PATH: '/c.key' })).toThrow(/set both or neither/);
    expect(() => temporalFrom({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem' })).toThrow(/contradicts/);
    expect(() => temporalFrom({ TEMPORAL_TLS: 'yes' })).toThrow(/TEMPORAL_TLS/);
  });

  it('honours TEMPORAL_TLS both ways', () => {
    expect(temporalFrom({ TEMPORAL_TLS: 'true' }).tls).toEqual({});
    // An API key over plaintext: a TLS-terminating proxy in front of the frontend.
    expect(temporalFrom({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'secret' })).toMatchObject({ apiKey: 'secret', tls: false });
  });
});

describe('WORKFLOW_BUNDLE_PATH', () => {
  it('is optional: without it the worker bundles at start', () => {
    expect(loadConfig(BASE).workflowBundlePath).toBeUndefined();
    expect(loadConfig({ ...BASE, WORKFLOW_BUNDLE_PATH: '/app/dist/workflow-bundle.js' }).workflowBundlePath).toBe('/app/dist/workflow-bundle.js');
  });
});
