import { defineConfig } from "vitest/config";

/**
 * `npm run test:cluster`: the integration tests that matter for the data layout, against a local
 * three-master Redis Cluster (test/support/global-cluster.ts), and the cluster's own tests.
 */
export default defineConfig({
  test: {
    name: "cluster",
    include: [
      "test/cluster/**/*.test.ts",
      "test/team-flow.test.ts",
      "test/delegation-slot.test.ts",
      "test/durability.test.ts",
      "test/gateway.test.ts",
      "test/gateway-streaming.test.ts",
      "test/delta-bus.test.ts",
      "test/live-path.test.ts",
      "test/agents-api.test.ts",
    ],
    // Two cores: files share the cluster and isolate themselves by key prefix.
    maxWorkers: 2,
    globalSetup: ["test/support/global-cluster.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
