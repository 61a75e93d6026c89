/**
 * `npm run chaos -- --records N --fault-rate R --seed S`: the chaos harness (chaos/). By default it
 * starts a stack of its own (PostgreSQL, the `npm start` supervisor, the provider simulator) in a
 * temporary folder; CHAOS_USE_RUNNING=1 runs it against the stack the environment describes
 * (DI_API_URL, DI_API_KEY, MLLP_PORT, DATABASE_URL, TEMPORAL_ADDRESS, DATA_DIR for the pid files).
 * Prints the table on stdout, writes the JSON result, exits 1 on any violation or unsettled record.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../config';
import { databaseUrlOrLocal, runMain } from '../../config/runtime';
import { parseChaosArgs, UsageError, type ChaosOptions } from '../chaos/args';
import { attachToStack } from '../chaos/attach';
import { renderTable, type ChaosResult } from '../chaos/report';
import { runChaos } from '../chaos/run';
import { startOwnedStack, type ChaosStack } from '../chaos/stack';

const log = (line: string) => process.stderr.write(`[chaos] ${line}\n`);

async function stackFor(env: NodeJS.ProcessEnv, options: ChaosOptions): Promise<ChaosStack> {
  if (env.CHAOS_USE_RUNNING === '1') {
    // The harness counts what reaches Stripe only through the proxy of a stack it starts itself.
    if (options.billing === 'stripe') throw new UsageError('--billing stripe starts its own stack: it cannot be combined with CHAOS_USE_RUNNING=1');
    const config = loadConfig(env);
    return attachToStack({
      config,
      apiUrl: env.DI_API_URL ?? `http://127.0.0.1:${config.port}`,
      apiKey: env.DI_API_KEY ?? config.apiKeys[0] ?? '',
      databaseUrl: databaseUrlOrLocal(config),
    });
  }
  return startOwnedStack({
    topology: options.topology,
    workflowBundlePath: env.WORKFLOW_BUNDLE_PATH,
    temporalCliPath: env.TEMPORAL_CLI_PATH,
    baseEnv: { PATH: env.PATH, HOME: env.HOME },
    billing: options.billing,
    log,
  });
}

async function writeResult(file: string, result: ChaosResult): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
}

async function main(options: ChaosOptions): Promise<void> {
  log(`${options.records} records, fault rate ${options.faultRate}, seed ${options.seed}, topology ${options.topology}, billing ${options.billing}`);
  const stack = await stackFor(process.env, options);
  let result: ChaosResult | undefined;
  let stopped: Promise<void> | undefined;
  // Once, whether the run ends or a signal ends it first.
  const stop = () => (stopped ??= stack.stop({ keepFiles: options.keep || !result?.ok }));
  // Ctrl-C must not leave a database and a supervisor behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().finally(() => process.exit(130)));
  try {
    result = await runChaos(options, stack, process.stderr);
  } finally {
    await stop();
  }
  await writeResult(options.out, result);
  process.stdout.write(`\n${renderTable(result)}\n\nresult: ${options.out}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

runMain(async () => {
  let options: ChaosOptions;
  try {
    options = parseChaosArgs(process.argv.slice(2), process.cwd());
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  await main(options);
});
