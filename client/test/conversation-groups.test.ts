import { describe, expect, it } from "vitest";
import { groupByDate } from "../src/conversation-groups.js";

/** A local date and time, as the person at this machine reads it. */
const local = (year: number, month: number, day: number, hour = 12, minute = 0) => new Date(year, month - 1, day, hour, minute).getTime();
const at = (time: number, id: string) => ({ id, createdAt: new Date(time).toISOString() });
const shape = (groups: ReturnType<typeof groupByDate<{ id: string; createdAt: string }>>) => groups.map((group) => [group.label, group.items.map((item) => item.id)]);

describe("grouping conversations by date", () => {
  const now = local(2026, 12, 2, 9, 30);

  it("puts each conversation under Today, Yesterday, Previous 7 days, then its month", () => {
    const items = [
      at(local(2026, 12, 2, 8, 0), "this-morning"),
      at(local(2026, 12, 2, 0, 0), "midnight-today"),
      at(local(2026, 12, 1, 23, 59), "late-yesterday"),
      at(local(2026, 12, 1, 0, 0), "early-yesterday"),
      at(local(2026, 11, 30, 12), "two-days-ago"),
      at(local(2026, 11, 24, 0, 0), "eight-days-ago"),
      at(local(2026, 11, 23, 23, 59), "nine-days-ago"),
      at(local(2026, 11, 1), "first-of-november"),
      at(local(2026, 10, 31), "halloween"),
      at(local(2025, 12, 25), "last-christmas"),
    ];
    expect(shape(groupByDate(items, now))).toEqual([
      ["Today", ["this-morning", "midnight-today"]],
      ["Yesterday", ["late-yesterday", "early-yesterday"]],
      ["Previous 7 days", ["two-days-ago", "eight-days-ago"]],
      ["November 2026", ["nine-days-ago", "first-of-november"]],
      ["October 2026", ["halloween"]],
      ["December 2025", ["last-christmas"]],
    ]);
  });

  it("leaves out empty groups and keeps the order it was given", () => {
    const items = [at(local(2026, 9, 3), "september"), at(local(2026, 12, 2, 9), "today")];
    expect(shape(groupByDate(items, now))).toEqual([
      ["September 2026", ["september"]],
      ["Today", ["today"]],
    ]);
    expect(groupByDate([], now)).toEqual([]);
  });

  it("counts a conversation from a clock ahead of this one as today, and puts an unreadable date last", () => {
    const items = [at(local(2026, 12, 3, 1), "tomorrow"), { id: "broken", createdAt: "not a date" }, at(local(2026, 12, 1, 12), "yesterday")];
    expect(shape(groupByDate(items, now))).toEqual([
      ["Today", ["tomorrow"]],
      ["Yesterday", ["yesterday"]],
      ["Older", ["broken"]],
    ]);
  });

  it("counts calendar days, not 24-hour spans, right after midnight", () => {
    const justAfterMidnight = local(2026, 12, 2, 0, 5);
    const items = [at(local(2026, 12, 1, 23, 55), "ten-minutes-ago"), at(local(2026, 11, 30, 23, 0), "day-before")];
    expect(shape(groupByDate(items, justAfterMidnight))).toEqual([
      ["Yesterday", ["ten-minutes-ago"]],
      ["Previous 7 days", ["day-before"]],
    ]);
  });
});
