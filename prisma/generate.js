// `prisma generate` only needs the schema engine's path to exist, not to run it; pointing it at
// node lets generate work where the native engine cannot be downloaded (no internet).
const { spawnSync } = require('node:child_process');

let cli;
try {
  cli = require.resolve('prisma/build/index.js');
} catch {
  // An install without development dependencies (the production image): the client was generated
  // and compiled at build time, and the CLI that generates it is a development dependency.
  console.log('[prisma] the Prisma CLI is not installed (no development dependencies): nothing to generate');
  process.exit(0);
}
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath };
const result = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
