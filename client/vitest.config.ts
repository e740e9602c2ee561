import { defineConfig } from "vitest/config";

/**
 * Unit tests of the client's pure modules (store, derivations, markdown). They need no Redis and
 * no browser: `npx vitest run --config client/vitest.config.ts`.
 */
export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  test: {
    name: "client",
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
