# The Switchboard image: one image, started as the server or the agents process, running the
# JavaScript compiled at build time (dist/), never compiling at run time.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Compiles the server, the agents and bin/ to dist/ and builds the page; then drops the build tools
# (tsx stays: it loads specialists written in TypeScript).
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
# The agents process: node dist/bin/agents.js (docker-compose.yml sets each service's command).
CMD ["node", "dist/bin/server.js"]
