# Build stage: compile TypeScript to dist/ (plain JavaScript runs with ~40 MB less RSS than tsx).
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm workspaces: the SDK packages (packages/) are part of the lockfile and of `npm run build`.
COPY packages ./packages
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The admin console's source and its build step: npm run build bundles it into dist/console.
COPY console ./console
COPY scripts/build-console.ts ./scripts/build-console.ts
RUN npm run build

FROM node:22-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=build /app/packages ./packages
RUN npm ci --omit=dev --ignore-scripts
COPY --from=build /app/dist ./dist
# The demo writes its dev key here on first start; mount the shared key source here in production.
RUN mkdir -p keys && chown node keys
ENV NODE_ENV=production BATON_HOST=0.0.0.0
EXPOSE 8080 8081
USER node
# --max-semi-space-size=8: a smaller young generation, ~15 MiB less RSS under load (it can only
# be set on the command line; src/cli/v8-flags.ts, BATON_NODE_FLAGS, says why and what it costs).
CMD ["node", "--max-semi-space-size=8", "dist/cli/baton.js", "serve"]
