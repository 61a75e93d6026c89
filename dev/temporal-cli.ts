/**
 * `npm run temporal -- <args>` runs the provisioned Temporal CLI against the project's
 * server: TEMPORAL_ADDRESS (localhost:7233) and TEMPORAL_NAMESPACE (default), unless the
 * arguments choose otherwise; and through the API's codec endpoint, so payloads show decrypted
 * and what the CLI sends is encrypted. Exits with the CLI's exit code.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { loadOpsConfig, OpsConfigError } from '../ops/config';
import { ensureTemporalCli, provisionOptionsFromEnv } from './provision';

/** The subcommands that take connection options; the others (server, env, config) reject them. */
const CONNECTED_SUBCOMMANDS = new Set([
  'activity',
  'batch',
  'nexus',
  'operator',
  'schedule',
  'task-queue',
  'worker',
  'workflow',
]);

/** Flags that take the connection from a profile, which injected flags would override. */
const PROFILE_FLAGS = ['--profile', '--env', '--env-file', '--config-file'];

export function withConnection(args: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const separator = args.indexOf('--');
  const end = separator === -1 ? args.length : separator;
  const flags = args.slice(0, end);
  if (!CONNECTED_SUBCOMMANDS.has(args[0] ?? '') || PROFILE_FLAGS.some((flag) => hasFlag(flags, flag))) {
    return [...args];
  }
  const added = [
    ...(hasFlag(flags, '--address') ? [] : ['--address', env.TEMPORAL_ADDRESS || 'localhost:7233']),
    ...(hasFlag(flags, '--namespace', '-n') ? [] : ['--namespace', env.TEMPORAL_NAMESPACE || 'default']),
  ];
  return [...flags, ...added, ...args.slice(end)];
}

/** The subcommands that show or send payloads. */
const PAYLOAD_SUBCOMMANDS = new Set(['workflow', 'activity', 'schedule']);

/**
 * The codec settings in the CLI's own environment variables (TEMPORAL_CODEC_ENDPOINT and
 * TEMPORAL_CODEC_AUTH, the same as --codec-endpoint and --codec-auth), so the key stays out of the
 * process list: the API the operator CLI would use (DI_API_URL, else localhost:PORT) with its key.
 * Nothing when the caller chose a codec or a profile, or no key is configured (said on stderr).
 */
function codecEnvironment(args: readonly string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const chosen = ['--codec-endpoint', ...PROFILE_FLAGS].some((flag) => hasFlag(args, flag)) || env.TEMPORAL_CODEC_ENDPOINT !== undefined;
  if (!PAYLOAD_SUBCOMMANDS.has(args[0] ?? '') || chosen) return {};
  try {
    const api = loadOpsConfig(env);
    return { TEMPORAL_CODEC_ENDPOINT: `${api.apiUrl}/codec`, TEMPORAL_CODEC_AUTH: `Bearer ${api.apiKey}` };
  } catch (err) {
    if (!(err instanceof OpsConfigError)) throw err;
    process.stderr.write(`[temporal] payloads stay encrypted, no codec endpoint: ${err.message}\n`);
    return {};
  }
}

function hasFlag(args: readonly string[], long: string, short?: string): boolean {
  return args.some(
    (arg) => arg === long || arg.startsWith(`${long}=`) || (short !== undefined && arg.startsWith(short)),
  );
}

/** Runs the CLI with `args` and exits with its exit code. */
export async function runTemporalCli(args: readonly string[]): Promise<void> {
  const cli = await ensureTemporalCli(undefined, provisionOptionsFromEnv(process.env));
  const env = { ...process.env, ...codecEnvironment(args, process.env) };
  const child = spawn(cli, withConnection(args, process.env), { stdio: 'inherit', env });
  // A supervisor signals this process, not the CLI: pass it on so `server start-dev` shuts down too.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('error', (err) => {
    process.stderr.write(`${cli}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
  });
}

