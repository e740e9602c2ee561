import { z } from "zod";
import { defineAgent, defineTool, ToolError } from "../agents/index.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const ISO_DATE = /\b(\d{4})-(\d{2})-(\d{2})\b/g;

/** Reads every YYYY-MM-DD date in a text, refusing impossible ones such as 2026-02-30. */
function datesIn(text: string): Date[] {
  return [...text.matchAll(ISO_DATE)].map(([written, year, month, day]) => {
    const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
    if (date.getUTCMonth() !== Number(month) - 1) throw new ToolError(`${written} is not a real date`);
    return date;
  });
}

const countDays = defineTool({
  name: "count_days",
  description: "Counts the days between two calendar dates written as YYYY-MM-DD, and names their weekdays.",
  parameters: z.object({
    question: z.string().describe("The question as the user asked it, e.g. 'How many days from 2026-01-01 to 2026-03-01?'"),
  }),
  execute: ({ question }) => {
    const [from, to] = datesIn(question);
    if (!from || !to) throw new ToolError("I need two dates written as YYYY-MM-DD, e.g. 'from 2026-01-01 to 2026-03-01'");
    const days = Math.round(Math.abs(to.getTime() - from.getTime()) / DAY_MS);
    const weekday = (date: Date) => date.toLocaleDateString("en-US", { weekday: "long", timeZone: "UTC" });
    const day = (date: Date) => date.toISOString().slice(0, 10);
    return {
      days,
      answer: `${day(from)} (${weekday(from)}) and ${day(to)} (${weekday(to)}) are ${days} days apart.`,
    };
  },
});

export default defineAgent({
  name: "timekeeper",
  description: "Counts the days between calendar dates and tells which weekday a date falls on.",
  instructions: "You are the timekeeper. Use count_days for every date question and answer in one sentence.",
  tools: [countDays],
});
