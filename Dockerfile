# syntax=docker/dockerfile:1
# meshray: one image for every command (`docker run meshray receiver|translator|xray-local|start|demo|...`).
# Build: docker build -t meshray:local .
# Node 24 'Krypton' (LTS): the line .ci/run tests beside the machine's own Node (LTS_NODE there).

# ---- build: compile TypeScript to dist/ ----------------------------------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY shared ./shared
COPY services ./services
# tsc, then the assets read at run time beside the compiled modules (protobuf descriptors, JSON schemas,
# the xray-local console): scripts/copy-runtime-assets.mjs and scripts/build-console.mjs.
RUN npm run build

# ---- runtime: production dependencies + dist/ only, non-root --------------------------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
# xray-local (and the all-in-one's) default to loopback; in a container that is unreachable from a published port.
ENV XRAY_LOCAL_HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist ./dist
# The image's `node` user (uid 1000); nothing under /app needs to be writable. `meshray start` appends its
# dead letters to DEAD_LETTER_FILE: in a writable place (mount a volume there to keep them).
ENV DEAD_LETTER_FILE=/tmp/meshray/dead-letters.ndjson
USER node
# 9411 receiver (Zipkin API, health, metrics) · 2000 xray-local (API, console) · 9412 translator ops
EXPOSE 9411 2000 9412
# No HEALTHCHECK here: the port to probe depends on the command; docker-compose.yml and the k8s
# manifests probe each service's own /health/ready and /health/live.
# bin/meshray.mjs runs dist/services/cli/main.js (present in this image).
ENTRYPOINT ["node", "bin/meshray.mjs"]
CMD ["start"]
