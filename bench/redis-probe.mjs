// Plain JavaScript, so it preloads (`node --import`) into the product whether it runs through tsx or compiled.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";

/**
 * What a process asks of Redis, counted inside ioredis (the only Redis client the product uses, BullMQ
 * included): `commands`, every command a client sends (a pipeline's and a transaction's each count;
 * the commands a Lua script runs inside Redis do not); `roundTrips`, every write that waits for an
 * answer: one per command sent alone, one per pipeline or transaction, whatever it holds.
 * Blocking reads (BullMQ's, the log tail's) count as the round trips they are. `queueRoundTrips`, of
 * those, BullMQ's own job handling: its scripts (named `<script>:<version>` when BullMQ defines
 * them) and its workers' blocking waits (BZPOPMIN), what the bare BullMQ floor pays too.
 *
 * The bench preloads it into the agents and server processes and sends SIGUSR2 to read the counts:
 * the process writes them to `$BENCH_PROBE_DIR/<pid>.json`, with how many reads it has answered.
 */
export const counts = { commands: 0, roundTrips: 0, queueRoundTrips: 0, reads: 0 };

/** The SHA1s of BullMQ's scripts, as `EVALSHA` names them. */
const queueScripts = new Set();
const defineCommand = Redis.prototype.defineCommand;
Redis.prototype.defineCommand = function (name, definition) {
  if (/:\d+\.\d+\.\d+$/.test(name)) queueScripts.add(createHash("sha1").update(definition.lua).digest("hex"));
  return defineCommand.call(this, name, definition);
};
const isQueueWork = (command) => command.name === "bzpopmin" || (command.name === "evalsha" && queueScripts.has(String(command.args[0])));

/** A pipeline's commands pass through `sendCommand` one by one on the way to its single write, with a stream of its own per write. */
const pipelineWrites = new WeakSet();
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (command, stream, node) {
  counts.commands++;
  if (!stream?.isPipeline) {
    counts.roundTrips++;
    if (isQueueWork(command)) counts.queueRoundTrips++;
  } else if (!pipelineWrites.has(stream)) {
    pipelineWrites.add(stream);
    counts.roundTrips++;
  }
  return sendCommand.call(this, command, stream, node);
};

const dir = process.env.BENCH_PROBE_DIR;
if (dir) {
  process.on("SIGUSR2", () => {
    counts.reads++;
    writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(counts));
  });
}
