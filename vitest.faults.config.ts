import { defineConfig } from "vitest/config";

/** `npm run test:faults`: real processes, killed and abused; slower than `npm test`, run by CI too. */
export default defineConfig({
  test: {
    name: "faults",
    include: ["test/faults/**/*.test.ts"],
    // Scenarios kill processes and Redis servers they start themselves: one file at a time.
    fileParallelism: false,
    globalSetup: ["test/support/global-redis.ts", "test/faults/support/report.ts"],
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
