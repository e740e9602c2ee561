import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Where each fault test leaves its row; the suite's teardown prints them as one table. */
export const ROWS_FILE = path.join(fileURLToPath(new URL("../../..", import.meta.url)), "test-results", "faults", "rows.jsonl");

/**
 * One line of the fault table: what was done to the product and what it lost. `load` and `faults`
 * say what was tried, in words with counts ("40 turns", "2 SIGKILLs of the agents process").
 */
export interface FaultRow {
  scenario: string;
  load: string;
  faults: string;
  /** Acknowledged inputs (messages, decisions) or their answers that never appeared. */
  lost: number;
  /** Events delivered or logged more than once. */
  duplicated: number;
  /** Turns or runs that ended failed where the fault allowed them to finish. */
  failed: number;
  /** Responses or acks with a 5xx status (`unavailable` over the socket counts). */
  http5xx: number;
  /** Processes of ours that exited without being told to. */
  crashes: number;
  /** Extra counts a scenario has targets for: cross-user reads, executed payloads. */
  extra?: Record<string, number>;
}

/** Records a scenario's row; call it after the assertions' inputs are known, before asserting. */
export function recordFaultRow(row: FaultRow): void {
  mkdirSync(path.dirname(ROWS_FILE), { recursive: true });
  appendFileSync(ROWS_FILE, `${JSON.stringify(row)}\n`);
}
