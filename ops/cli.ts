/**
 * The CLI from argv to exit code: usage mistakes exit 2 with the usage text, a refused or failed
 * operation exits 1 with the API's own message, anything else is a bug and keeps its stack.
 */
import { ApiError, createApiClient } from './api';
import { parseCommand, USAGE, UsageError } from './args';
import { EXIT, runCommand, type CommandIo } from './commands';
import { OpsConfigError, type OpsConfig } from './config';

function describeApiError(err: ApiError): string {
  return err.status === 0 ? err.message : `${err.message} (HTTP ${err.status} ${err.code})`;
}

function report(err: unknown, io: CommandIo): number {
  if (err instanceof UsageError) {
    io.stderr.write(`error: ${err.message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (err instanceof OpsConfigError) {
    io.stderr.write(`configuration error: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof ApiError) {
    io.stderr.write(`error: ${describeApiError(err)}\n`);
    return EXIT.failed;
  }
  throw err;
}

/** `loadConfig` runs only for a command that needs the API, so `--help` works whatever the environment. */
export async function runCli(argv: readonly string[], loadConfig: () => OpsConfig, io: CommandIo): Promise<number> {
  try {
    const command = parseCommand(argv);
    if (command.name === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    return await runCommand(command, createApiClient(loadConfig()), io);
  } catch (err) {
    return report(err, io);
  }
}
