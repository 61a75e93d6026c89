/** `npm run temporal -- <args>`: the provisioned Temporal CLI against the configured server. */
import { runTemporalCli } from '../temporal-cli';

runTemporalCli(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
