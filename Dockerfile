# Build stage: all dependencies, compiled dist/. Also runs the Qiniu emulator (it needs ts-node).
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
COPY test ./test
RUN npm run build && test -f dist/main.js && test -f dist/worker.js && test -f dist/cli.js

# Runtime stage: production dependencies and dist/ only. The same image runs the API, the worker and the admin CLI
# (`docker compose run --rm api node dist/cli <command>`).
FROM node:20.19-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/main"]
