/**
 * `npm run temporal -- <args>` runs the provisioned Temporal CLI against the project's
 * server: TEMPORAL_ADDRESS (localhost:7233) and TEMPORAL_NAMESPACE (default), unless the
 * arguments choose otherwise. Exits with the CLI's exit code.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
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

function hasFlag(args: readonly string[], long: string, short?: string): boolean {
  return args.some(
    (arg) => arg === long || arg.startsWith(`${long}=`) || (short !== undefined && arg.startsWith(short)),
  );
}

/** Runs the CLI with `args` and exits with its exit code. */
export async function runTemporalCli(args: readonly string[]): Promise<void> {
  const cli = await ensureTemporalCli(undefined, provisionOptionsFromEnv(process.env));
  const child = spawn(cli, withConnection(args, process.env), { stdio: 'inherit' });
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

