# Multi-stage build: compile (and build argon2's native module) in the full image, run in the slim one.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's postinstall patches a dependency (scripts/patch-dependencies.mjs says which and why).
COPY scripts/patch-dependencies.mjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# node directly (not npm) so SIGTERM reaches the server and it drains gracefully. The same node options as
# `npm start`: semi-spaces of 16 MB instead of Node 24's 64 keep the young generation's peak under load at
# 32 MB instead of 128 (bench/memory.mjs), at no measured CPU cost per token (bench/token-throughput.mjs A/Bs).
CMD ["node", "--max-semi-space-size=16", "dist/server/main.js"]
