import { FlowProducer, Queue, WaitingChildrenError, Worker } from "bullmq";
import type { Redis } from "ioredis";

/** The raw BullMQ hop on the same Redis (add a job → the worker starts processing it), one at a time, so it can be interleaved with other measurements in one window. */
export async function openBullmqHop(connection: Redis, workerConnection: Redis, prefix: string): Promise<{ hop(): Promise<number>; close(): Promise<void> }> {
  const queue = new Queue("floor", { connection, prefix });
  const started = new Map<string, number>();
  let resolveNext: ((latency: number) => void) | undefined;
  const worker = new Worker(
    "floor",
    async (job) => {
      resolveNext?.(performance.now() - (started.get(job.id ?? "") ?? Number.NaN));
    },
    { connection: workerConnection, prefix, concurrency: 1 },
  );
  await worker.waitUntilReady();
  let count = 0;
  return {
    hop: async () => {
      const done = new Promise<number>((resolve) => (resolveNext = resolve));
      const id = `j${count++}`;
      started.set(id, performance.now());
      await queue.add("hop", { i: count }, { jobId: id, removeOnComplete: true });
      const latency = await done;
      started.delete(id);
      return latency;
    },
    close: async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    },
  };
}

/**
 * The raw BullMQ fan-out a workflow's `parallel` rides on, with nothing of the platform: a parent
 * job runs, adds `width` flow children in one call and moves to waiting-children; the children run
 * on the same worker; the parent runs again and reads their values. Measured from the parent's add
 * to its resume. `staticFlow` measures the other shape: parent and children added as one flow, to
 * the parent's (only) run.
 */
export async function openFlowFloor(
  connection: Redis,
  workerConnection: Redis,
  prefix: string,
  width: number,
  concurrency: number,
): Promise<{ fanOut(): Promise<number>; staticFlow(): Promise<number>; close(): Promise<void> }> {
  const queue = new Queue("flowfloor", { connection, prefix });
  const flows = new FlowProducer({ connection, prefix });
  const waiters = new Map<string, (at: number) => void>();
  const worker = new Worker(
    "flowfloor",
    async (job, token) => {
      if (job.name === "child") return { ok: job.data.i as number };
      const values = await job.getChildrenValues();
      if (job.name === "parent" && Object.keys(values).length < width) {
        await flows.addBulk(
          Array.from({ length: width }, (_, i) => ({
            name: "child",
            queueName: "flowfloor",
            data: { i },
            opts: { jobId: `${job.id}.${i}`, parent: { id: job.id ?? "", queue: job.queueQualifiedName }, ignoreDependencyOnFailure: true },
          })),
        );
        if (await job.moveToWaitingChildren(token ?? "")) throw new WaitingChildrenError();
      }
      waiters.get(job.id ?? "")?.(performance.now());
      return Object.keys(values).length;
    },
    { connection: workerConnection, prefix, concurrency },
  );
  await worker.waitUntilReady();
  let count = 0;
  const measure = async (add: (id: string) => Promise<unknown>) => {
    const id = `p${count++}`;
    const resumed = new Promise<number>((resolve) => waiters.set(id, resolve));
    const start = performance.now();
    await add(id);
    const latency = (await resumed) - start;
    waiters.delete(id);
    return latency;
  };
  return {
    fanOut: () => measure((id) => queue.add("parent", {}, { jobId: id })),
    staticFlow: () =>
      measure((id) =>
        flows.add({
          name: "static-parent",
          queueName: "flowfloor",
          data: {},
          opts: { jobId: id },
          children: Array.from({ length: width }, (_, i) => ({ name: "child", queueName: "flowfloor", data: { i }, opts: { jobId: `${id}.${i}` } })),
        }),
      ),
    close: async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await flows.close();
    },
  };
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

/**
 * The floor a turn is compared with: two bare BullMQ hops in a row, as a turn takes two (the
 * manager's run job, then the specialist's). A job added to the first queue is processed by a
 * worker that adds one to the second; the second worker's start ends the chain. Both workers run
 * at `concurrency`, the agents' default; `chain()` runs one and resolves with its time.
 */
export async function openTwoHopFloor(connection: Redis, workerConnection: Redis, prefix: string, concurrency: number): Promise<{ chain(): Promise<number>; close(): Promise<void> }> {
  const first = new Queue("hop1", { connection, prefix });
  const second = new Queue("hop2", { connection, prefix });
  const waiters = new Map<string, () => void>();
  const workers = [
    new Worker("hop1", async (job) => void (await second.add("hop", job.data, { jobId: job.id ?? "", removeOnComplete: true })), { connection: workerConnection, prefix, concurrency }),
    new Worker("hop2", async (job) => waiters.get(job.id ?? "")?.(), { connection: workerConnection, prefix, concurrency }),
  ];
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  let count = 0;
  return {
    chain: async () => {
      const id = `c${count++}`;
      const done = new Promise<void>((resolve) => waiters.set(id, resolve));
      const start = performance.now();
      await first.add("hop", { i: count }, { jobId: id, removeOnComplete: true });
      await done;
      waiters.delete(id);
      return performance.now() - start;
    },
    close: async () => {
      await Promise.all(workers.map((worker) => worker.close()));
      for (const queue of [first, second]) {
        await queue.obliterate({ force: true });
        await queue.close();
      }
    },
  };
}
