// `prisma generate` only needs the schema engine's path to exist, not to run it; pointing it at
// node lets generate work where the native engine cannot be downloaded (no internet).
const { spawnSync } = require('node:child_process');

const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath };
const result = spawnSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
