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
          // The fault suite and the cluster's own tests have their own commands (npm run test:faults, test:cluster).
          exclude: ["test/faults/**", "test/cluster/**"],
          globalSetup: ["test/support/global-redis.ts"],
          setupFiles: ["test/support/preload-heavy.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      "client/vitest.config.ts",
    ],
  },
});
