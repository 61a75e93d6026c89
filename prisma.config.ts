import { defineConfig } from 'prisma/config';

// Only `prisma generate` reads this file; migrations run through dev/bin/db-migrate.ts (WASM engine).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
