# syntax=docker/dockerfile:1
# Two images from one file:
# - the default (last) stage, `runtime`: the api, the MLLP listener and the worker
#   (docker-compose.yml picks the command). Compiled JavaScript (`npm run build`) on Node alone, with
#   the production dependencies only: no TypeScript runner, no Prisma CLI, no embedded PostgreSQL.
# - `migrate`: the migrate job, which needs what the runtime leaves out: the migrations run through
#   Prisma's WASM schema engine (dev/migrations.ts), a development dependency.

# A Node LTS the project supports (package.json `engines`).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Without scripts: the project's postinstall (prisma generate) needs the schema, copied in the
# next stage, and the dependencies' own scripts only fetch engines and binaries the app never runs.
# The lock file lacks other platforms' optional binaries (see .ci/run); where npm ci refuses it for
# that, npm install installs the same locked versions.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 || npm install --ignore-scripts --no-audit --no-fund

FROM deps AS build
COPY . .
# The Prisma client is generated, everything compiled into dist/, and the workflow code bundled
# once, so a worker starts without webpack and every replica runs byte-identical workflow code.
RUN npm run postinstall \
 && npm run build \
 && node dist/bin/bundle-workflows.js dist/workflow-bundle.js

FROM build AS migrate
ENV NODE_ENV=production
USER node
CMD ["npm", "run", "db:migrate"]

FROM ${NODE_IMAGE} AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional too: the Prisma CLI and TypeScript are optional peers of @prisma/client, which
# npm would otherwise install; nothing the runtime needs is optional (checked by starting
# dist/bin/*.js on such an install).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 || npm install --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000 2575 9464
# The api's liveness; docker-compose.yml gives each service its own check (readiness, the MLLP
# port, the worker's pollers).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/bin/api.js"]
