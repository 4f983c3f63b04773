# syntax=docker/dockerfile:1

# Production image of the API.
#
#   docker build -t my-api .
#   docker run -p 3000:3000 -e JWT_SECRET=... -e DATABASE_URL=postgresql://... my-api
#
# The app reads the project's name and title (the defaults of APP_NAME, MAIL_FROM, JWT_ISSUER and
# JWT_AUDIENCE) from the package.json copied next to dist/.
#
# The same image runs the database CLIs (docker-compose.yml's `migrate` service does):
#   node dist/apps/api/libs/database/src/cli/migrate.js   (apply prisma/migrations)
#   node dist/apps/api/apps/api/src/cli/seed.js           (plans and the admin account)

# Node 24, the LTS the suite runs on in CI with Node 20 (which left support in April 2026).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# --- build: all dependencies, Prisma client generation, `npm run build` (nest build + bundle) -
FROM base AS build
# The postinstall script (`prisma generate`) needs the schema and its script before `npm ci`.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci
# Everything else not in .dockerignore (the build compiles apps/ and libs/, then tools/bundle.mjs
# bundles the result into dist/api/).
COPY . .
# The generated Prisma client is TypeScript under libs/database/src/generated: `nest build`
# compiles it into dist, so the runtime image needs neither the `prisma` CLI nor a generate step.
# `nest build` only emits (noCheck); the type-check runs first, so a type error fails the image.
RUN npm run typecheck && npm run build

# --- production: production dependencies and the compiled app only -------------------------
FROM base AS production
ENV NODE_ENV=production
# glibc's malloc serves a block of 128 KiB or more from its own mapping, returned to the system when
# freed. By default that threshold rises to the largest block freed (up to 32 MiB), after which such
# blocks (argon2id's 19 MiB per hash, buffers read at boot) stay in the heap once freed; setting it
# keeps it at 128 KiB. Measured
# (README "Start-up and memory"): ~45 MiB less resident memory idle and ~75 MiB less after a load,
# with no measurable cost to sign-ins.
ENV MALLOC_MMAP_THRESHOLD_=131072
COPY package.json package-lock.json ./
# --ignore-scripts: the postinstall script runs `prisma generate`, which needs the `prisma` CLI
# (a devDependency) and is not needed here (the client is compiled into dist). No production
# dependency needs its install script: @node-rs/argon2 ships prebuilt binaries as optional
# dependencies, and pg is pure JavaScript.
# npm keeps devDependencies that are also optional peers of a production package ("devOptional"
# in the lockfile: prisma and typescript, optional peers of @prisma/client, ~250 MB with their
# dependencies; https://github.com/npm/cli/issues/7772). `--omit=optional` would also drop
# argon2's binary, so those packages are deleted by their lockfile flag instead.
RUN npm ci --omit=dev --ignore-scripts \
    && node -e "const { rmSync } = require('node:fs'); \
        const { packages } = require('./package-lock.json'); \
        for (const [path, meta] of Object.entries(packages)) \
          if (meta.devOptional) rmSync(path, { recursive: true, force: true });" \
    && find node_modules -xtype l -delete \
    && npm cache clean --force
COPY --from=build /app/dist ./dist
# Read from the working directory by the migrate and seed CLIs.
COPY prisma/migrations ./prisma/migrations
COPY prisma/seed ./prisma/seed
# Writable only where the app may write: the embedded database (used without DATABASE_URL).
RUN mkdir -p .data && chown node:node .data

USER node
EXPOSE 3000
# No curl in the slim image: Node's fetch. Liveness only; readiness (/health/ready) also checks
# the database and belongs to the orchestrator (see docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "dist/api/main.mjs"]
