import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { createLogger } from "../platform/logger.js";
import { ensureRedis } from "../platform/redis-server.js";
import { parseConfig } from "../shared/config.js";

/** What a 202 promises is the private Redis's fsync policy: once a second by default, or on every write. */
describe("SWITCHBOARD_REDIS_FSYNC", () => {
  it("defaults to once a second and refuses anything but everysec or always", () => {
    const defaults = parseConfig({});
    expect(defaults.ok && defaults.config.redisFsync).toBe("everysec");
    const bad = parseConfig({ SWITCHBOARD_REDIS_FSYNC: "sometimes" });
    expect(bad.ok ? [] : bad.errors).toEqual(['SWITCHBOARD_REDIS_FSYNC: use "everysec" or "always"']);
  });

  it("starts the private Redis with it, and applies a changed setting to one left running", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-fsync-"));
    const log = createLogger("silent");
    const first = await ensureRedis({ dataDir, log, fsync: "always" });
    const redis = new Redis(first.url);
    try {
      expect(await redis.config("GET", "appendfsync")).toEqual(["appendfsync", "always"]);
      expect(await redis.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
      const again = await ensureRedis({ dataDir, log, fsync: "everysec" });
      expect(again.url).toBe(first.url);
      expect(await redis.config("GET", "appendfsync")).toEqual(["appendfsync", "everysec"]);
    } finally {
      redis.disconnect();
      await first.stop();
    }
  });
});
