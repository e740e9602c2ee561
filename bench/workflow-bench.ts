import { ConversationLog } from "../platform/conversation-log.js";
import { Conversations } from "../platform/conversations.js";
import type { Logger } from "../platform/logger.js";
import { LogTail } from "../platform/log-tail.js";
import { Queues, queueLayout } from "../platform/queues.js";
import { connectRedis, ShardedSubscriber } from "../platform/redis.js";
import { WorkflowRegistry } from "../platform/workflow-registry.js";
import { WorkflowRuns } from "../platform/workflow-runs.js";
import { newWorkflowRunId } from "../server/workflow-starts.js";
import { keys as keyNames } from "../shared/keys.js";
import { openBullmqHop, openFlowFloor } from "./floor.js";
import { summarize, type Summary } from "./stats.js";
import { BENCH_WORKFLOWS, CHAIN_LONG, FAN_OUT } from "./workflows.js";

export interface WorkflowFigures {
  /** The raw BullMQ hop, measured between the runs below. */
  hop: Summary;
  code1: Summary;
  codeLong: Summary;
  /** (t(CHAIN_LONG) − t(1)) / (CHAIN_LONG − 1), at p50 and at p99. */
  codeStep: Summary;
  llm1: Summary;
  llmLong: Summary;
  llmStep: Summary;
  /** Raw BullMQ: a parent job adds FAN_OUT flow children, waits, resumes. */
  fanFloor: Summary;
  /** Raw BullMQ: parent and FAN_OUT children added as one flow → the parent runs. */
  staticFlow: Summary;
  fanCode: Summary;
  fanLlm: Summary;
}

const RUN_TIMEOUT_MS = 30_000;
/** Raw hops measured per round, between the workflow runs. */
const HOPS_PER_ROUND = 4;

/**
 * Workflow runs started the way the API starts them (`WorkflowRuns.start`: state, index, enqueue),
 * timed until `workflow.completed` reaches a tail of the conversation's log. The agents process
 * hosting the bench's workflows (workflow-agents.ts) must be running on `prefix`. Every round runs
 * each measurement once, in the same order (chains as A/B/A: 1 step, CHAIN_LONG steps, 1 step),
 * with raw hops and raw flows between them, so that platform and floor share one noisy window.
 */
export async function workflowBench(options: {
  redisUrl: string;
  prefix: string;
  rounds: number;
  warmupRounds: number;
  /** Worker concurrency of the raw flow floor: the agents process's SWITCHBOARD_CONCURRENCY. */
  concurrency: number;
  log: Logger;
}): Promise<WorkflowFigures> {
  const keys = keyNames(options.prefix);
  const redis = await connectRedis(options.redisUrl);
  const subscriber = await ShardedSubscriber.connect(options.redisUrl, "bench-tail");
  const hopWorker = await connectRedis(options.redisUrl, { blocking: true });
  const flowWorker = await connectRedis(options.redisUrl, { blocking: true });
  const conversationLog = new ConversationLog(redis, keys, options.log, 10_000);
  const conversations = new Conversations(redis, keys);
  const queues = new Queues(redis, keys, queueLayout({ shards: 1, redisCluster: undefined }));
  const runs = new WorkflowRuns(redis, keys, conversationLog, queues, new WorkflowRegistry(redis, keys));
  const tail = new LogTail(subscriber, redis, keys, conversationLog, options.log);
  const hopper = await openBullmqHop(redis, hopWorker, "{wffloor}");
  const flows = await openFlowFloor(redis, flowWorker, "{wffloor}", FAN_OUT, options.concurrency);

  const failures: string[] = [];
  const waiters = new Map<string, (at: number) => void>();
  const unsubscribe: (() => void)[] = [];
  // One conversation per workflow, followed for the whole phase: no subscription churn in the timings.
  const conversationOf = new Map<string, string>();
  for (const workflow of Object.values(BENCH_WORKFLOWS)) {
    const conversation = await conversations.create("bench", `bench ${workflow}`);
    conversationOf.set(workflow, conversation.id);
    const cursor = await conversationLog.lastId(conversation.id);
    unsubscribe.push(
      tail.subscribe(conversation.id, cursor, (event) => {
        if (event.type !== "workflow.completed" && event.type !== "workflow.failed") return;
        if (event.type === "workflow.failed") failures.push(`${workflow}: ${event.data.reason}`);
        waiters.get(event.runId ?? "")?.(event.type === "workflow.completed" ? performance.now() : Number.NaN);
      }),
    );
  }

  const runOnce = async (workflow: string): Promise<number> => {
    const runId = newWorkflowRunId();
    const conversationId = conversationOf.get(workflow) ?? "";
    let timer: NodeJS.Timeout | undefined;
    const completed = new Promise<number>((resolve, reject) => {
      waiters.set(runId, resolve);
      timer = setTimeout(() => reject(new Error(`${workflow}: run ${runId} did not complete in ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
    });
    const start = performance.now();
    await runs.start({ runId, workflow, conversationId, owner: "bench", input: { n: 1 } });
    try {
      return (await completed) - start;
    } finally {
      clearTimeout(timer);
      waiters.delete(runId);
    }
  };

  const samples = { hop: [] as number[], code1: [] as number[], codeLong: [] as number[], llm1: [] as number[], llmLong: [] as number[], fanFloor: [] as number[], staticFlow: [] as number[], fanCode: [] as number[], fanLlm: [] as number[] };
  const w = BENCH_WORKFLOWS;
  for (let round = 0; round < options.warmupRounds + options.rounds; round++) {
    const keep = round >= options.warmupRounds;
    const take = async (into: number[], measure: () => Promise<number>) => {
      const value = await measure();
      if (keep) into.push(value);
    };
    for (let i = 0; i < HOPS_PER_ROUND; i++) await take(samples.hop, hopper.hop);
    await take(samples.code1, () => runOnce(w.code1));
    await take(samples.codeLong, () => runOnce(w.codeLong));
    await take(samples.code1, () => runOnce(w.code1));
    await take(samples.llm1, () => runOnce(w.llm1));
    await take(samples.llmLong, () => runOnce(w.llmLong));
    await take(samples.llm1, () => runOnce(w.llm1));
    await take(samples.fanFloor, flows.fanOut);
    await take(samples.staticFlow, flows.staticFlow);
    await take(samples.fanCode, () => runOnce(w.fanCode));
    await take(samples.fanLlm, () => runOnce(w.fanLlm));
  }

  for (const stop of unsubscribe) stop();
  await tail.close();
  await hopper.close();
  await flows.close();
  await queues.close();
  redis.disconnect();
  await subscriber.close();
  hopWorker.disconnect();
  flowWorker.disconnect();

  if (failures.length > 0) throw new Error(`workflow runs failed:\n${failures.join("\n")}`);
  const code1 = summarize(samples.code1);
  const codeLong = summarize(samples.codeLong);
  const llm1 = summarize(samples.llm1);
  const llmLong = summarize(samples.llmLong);
  return {
    hop: summarize(samples.hop),
    code1,
    codeLong,
    codeStep: perStep(code1, codeLong),
    llm1,
    llmLong,
    llmStep: perStep(llm1, llmLong),
    fanFloor: summarize(samples.fanFloor),
    staticFlow: summarize(samples.staticFlow),
    fanCode: summarize(samples.fanCode),
    fanLlm: summarize(samples.fanLlm),
  };
}

/** The cost of one more step: the difference of the percentiles over the steps added. */
function perStep(one: Summary, long: Summary): Summary {
  return { n: long.n, p50: (long.p50 - one.p50) / (CHAIN_LONG - 1), p99: (long.p99 - one.p99) / (CHAIN_LONG - 1) };
}
