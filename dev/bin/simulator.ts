/** The provider simulator as a process of its own (OpenAI- and Anthropic-compatible, on SIMULATOR_PORT). */
import { z } from 'zod';
import { simulatedFaultSchema } from '../../faults/wire';
import { startSimulator } from '../simulator';

const env = z
  .object({
    SIMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
    SIMULATOR_HOST: z.string().min(1).default('127.0.0.1'),
    SIMULATOR_BASE_DELAY_MS: z.coerce.number().int().min(0).default(0),
    /** JSON: a fault per model served to every request, e.g. {"sim-primary-2026-11-01":{"status":503}}. */
    SIMULATOR_MODEL_FAULTS: z
      .string()
      .default('{}')
      .transform((v) => JSON.parse(v) as unknown)
      .pipe(z.record(z.string(), simulatedFaultSchema)),
  })
  .parse(process.env);
startSimulator({
  port: env.SIMULATOR_PORT,
  host: env.SIMULATOR_HOST,
  baseDelayMs: env.SIMULATOR_BASE_DELAY_MS,
  modelFaults: env.SIMULATOR_MODEL_FAULTS,
  log: (event) => console.log(JSON.stringify({ msg: 'simulator request', ...event })),
}).then(
  (sim) => {
    console.log(`provider simulator on ${sim.url} (OpenAI: ${sim.url}/v1, Anthropic: ${sim.url})`);
    const stop = (): void => void sim.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
