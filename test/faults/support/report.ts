import { existsSync, readFileSync, rmSync } from "node:fs";
import { ROWS_FILE, type FaultRow } from "./fault-table.js";

/** Starts each run of the suite with an empty table. */
export function setup(): void {
  rmSync(ROWS_FILE, { force: true });
}

/** Prints every scenario's row as one table, with the targets beside it. */
export function teardown(): void {
  const rows: FaultRow[] = existsSync(ROWS_FILE)
    ? readFileSync(ROWS_FILE, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as FaultRow)
    : [];
  const header = ["scenario", "load", "faults", "lost", "duplicated", "failed", "5xx", "crashes", "other"];
  const lines = rows.map((row) => [
    row.scenario,
    row.load,
    row.faults,
    String(row.lost),
    String(row.duplicated),
    String(row.failed),
    String(row.http5xx),
    String(row.crashes),
    Object.entries(row.extra ?? {}).map(([name, count]) => `${name} ${count}`).join(", "),
  ]);
  const total = (pick: (row: FaultRow) => number) => String(rows.reduce((sum, row) => sum + pick(row), 0));
  lines.push([
    "total",
    `${rows.length} scenarios`,
    "",
    total((r) => r.lost),
    total((r) => r.duplicated),
    total((r) => r.failed),
    total((r) => r.http5xx),
    total((r) => r.crashes),
    "",
  ]);
  const widths = header.map((name, column) => Math.max(name.length, ...lines.map((line) => (line[column] ?? "").length)));
  const format = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  const table = [format(header), format(widths.map((width) => "-".repeat(width))), ...lines.map(format)].join("\n");
  process.stdout.write(`\nFault suite (targets: 0 lost, 0 duplicated, 0 5xx, 0 crashes, 0 cross-user reads, 0 executed payloads)\n${table}\n\n`);
}
