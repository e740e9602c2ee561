import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Two cores: files share one throwaway Redis and isolate themselves by key prefix.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "platform",
          include: ["test/**/*.test.ts"],
          // The fault suite has its own command (npm run test:faults).
          exclude: ["test/faults/**"],
          globalSetup: ["test/support/global-redis.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      "client/vitest.config.ts",
    ],
  },
});
