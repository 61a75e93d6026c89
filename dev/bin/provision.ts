/** `npm run provision`: provisions the Temporal tools and prints TEMPORAL_CLI_PATH=… and TEMPORAL_TEST_SERVER_PATH=… */
import { printToolPaths } from '../provision';

printToolPaths().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
