# syntax=docker/dockerfile:1
# One image for the api, the MLLP listener, the worker and the migrate job (docker-compose.yml
# picks the command).
# The code runs as TypeScript through tsx, as everywhere else in the project: there is no
# separate compile step whose output could drift from what the tests ran.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Without scripts: the project's postinstall (prisma generate) needs the schema, copied in the
# next stage, and the dependencies' own scripts only fetch engines and binaries the app never runs
# (migrations go through Prisma's WASM engine, see db/migrate.ts). The lock file lacks other
# platforms' optional binaries (see .ci/run); where npm ci refuses it for that, npm install
# installs the same locked versions.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 || npm install --ignore-scripts --no-audit --no-fund

FROM deps AS build
COPY . .
RUN npm run postinstall \
 && npx tsx bin/bundle-workflows.ts dist/workflow-bundle.js \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=build /app ./
USER node
EXPOSE 3000 2575 9464
CMD ["node", "--import", "tsx", "bin/api.ts"]
