/** Types of redis-probe.mjs, the counter preloaded into measured processes. */
export declare const counts: { commands: number; roundTrips: number; reads: number };
