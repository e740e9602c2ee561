import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";

/** The raw BullMQ hop on the same Redis: add a job → the worker starts processing it. */
export async function bullmqHop(connection: Redis, workerConnection: Redis, prefix: string, samples: number): Promise<number[]> {
  const queue = new Queue("floor", { connection, prefix });
  const started = new Map<string, number>();
  const latencies: number[] = [];
  let resolveNext: (() => void) | undefined;
  const worker = new Worker(
    "floor",
    async (job) => {
      latencies.push(performance.now() - (started.get(job.id ?? "") ?? Number.NaN));
      resolveNext?.();
    },
    { connection: workerConnection, prefix, concurrency: 1 },
  );
  await worker.waitUntilReady();
  for (let i = 0; i < samples; i++) {
    const done = new Promise<void>((resolve) => (resolveNext = resolve));
    const id = `j${i}`;
    started.set(id, performance.now());
    await queue.add("hop", { i }, { jobId: id, removeOnComplete: true });
    await done;
  }
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return latencies;
}

/** The raw stream hop: XADD on one connection → a blocked XREAD on another returns it. */
export async function streamHop(writer: Redis, reader: Redis, key: string, samples: number): Promise<number[]> {
  const latencies: number[] = [];
  await writer.del(key);
  let cursor = "0";
  for (let i = 0; i < samples; i++) {
    const read = reader.xread("BLOCK", 5000, "STREAMS", key, cursor) as Promise<[string, [string, string[]][]][] | null>;
    // Give the XREAD time to reach Redis and block before the write.
    await new Promise((resolve) => setImmediate(resolve));
    const start = performance.now();
    await writer.xadd(key, "*", "e", "x");
    const reply = await read;
    latencies.push(performance.now() - start);
    cursor = reply?.[0]?.[1].at(-1)?.[0] ?? cursor;
  }
  await writer.del(key);
  return latencies;
}
