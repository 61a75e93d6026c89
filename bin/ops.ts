/**
 * `npm run ops -- <command>`: the operator CLI (ops/). The one place it reads the environment:
 * DI_API_URL and DI_API_KEY, with PORT and API_KEYS as the local fallbacks.
 */
import { runCli } from '../ops/cli';
import { loadOpsConfig } from '../ops/config';

runCli(process.argv.slice(2), () => loadOpsConfig(process.env), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
