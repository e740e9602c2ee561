import { z } from "zod";
import { defineWorkflow } from "../define-workflow.js";
import { approval, code, llm, tool } from "../step.js";

export const Brief = z.object({
  topic: z.string().min(3).max(300).describe("What the announcement is about"),
  audience: z.string().min(3).max(200).describe("Who it is for"),
});

/** What the reviewer checks: plain, checkable criteria, so a revision knows what to fix. */
export const CRITERIA = ["starts with a title line", "at most 120 words", "ends with a call to action", "no exclamation marks"];

const Review = z.object({
  pass: z.boolean().describe("Whether the draft meets every criterion"),
  score: z.number().min(0).max(10).describe("How well it meets the criteria, 0 to 10"),
  feedback: z.string().describe("One line per criterion it misses"),
});

const reviewPrompt = (draft: string) =>
  ["Review the draft against the criteria. Pass it only when it meets every one.", "Criteria:", ...CRITERIA.map((c) => `- ${c}`), "Draft:", draft].join("\n");

const revisePrompt = (round: { input: string; previous?: string; feedback?: z.infer<typeof Review> }) =>
  round.previous === undefined
    ? ["Polish this draft; keep its meaning and length.", "Draft:", round.input].join("\n")
    : ["Revise the draft to address the feedback; change nothing else.", "Feedback:", round.feedback?.feedback ?? "", "Draft:", round.previous].join("\n");

const titleOf = (text: string) => (/^#\s+(.+)$/m.exec(text)?.[1] ?? text.split(/[.!?\n]/)[0] ?? "Announcement").trim();

/**
 * Content pipeline (prompt chaining, evaluator-optimizer, parallelization, a person's approval):
 * draft an announcement, revise it until a reviewer passes it (at most three rounds), translate it
 * into French and German at once, let an editor approve, then publish.
 */
export const contentPipeline = defineWorkflow({
  name: "content-pipeline",
  description:
    "Writes and publishes an announcement: drafts it, revises it until a review passes it, translates it into French and German in parallel, asks an editor to approve, then publishes it on the blog.",
  input: Brief,
})
  .step(llm("draft", { prompt: (brief) => `Write a short announcement about ${brief.topic} for ${brief.audience}.` }))
  .loop({
    generate: llm("revise", { prompt: revisePrompt }),
    evaluate: llm("review", { prompt: reviewPrompt, output: Review }),
    until: (review) => review.pass,
    maxRounds: 3,
  })
  .parallel({
    en: code("original", (text: string) => text),
    fr: llm("translate-fr", { prompt: (text: string) => `Translate into French; keep the title line and the formatting:\n${text}` }),
    de: llm("translate-de", { prompt: (text: string) => `Translate into German; keep the title line and the formatting:\n${text}` }),
  })
  .step(
    approval("editor", {
      title: (post) => `Publish "${titleOf(post.en)}" in English, French and German?`,
      timeout: "2d",
      onTimeout: "reject",
    }),
  )
  .step(
    tool("publish_post", {
      args: (post: { en: string; fr: string; de: string }) => ({ title: titleOf(post.en), body: post.en, translations: { fr: post.fr, de: post.de } }),
    }),
  )
  .definition();
