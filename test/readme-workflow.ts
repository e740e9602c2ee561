import { z } from "zod";
import { approval, code, defineWorkflow, llm, tool, type LoopRound } from "../workflows/index.js";

const Review = z.object({ pass: z.boolean(), feedback: z.string() });
type Round = LoopRound<string, string, z.infer<typeof Review>>;

export const post = defineWorkflow({ name: "post", description: "Drafts, reviews, translates and publishes a post.", input: z.object({ topic: z.string() }) })
  .step(llm("draft", { prompt: (brief) => `Write a short post about ${brief.topic}.` }))
  .loop({
    generate: llm("revise", { prompt: (round: Round) => `Revise to address the feedback:\n${round.feedback?.feedback ?? ""}\nDraft:\n${round.previous ?? round.input}` }),
    evaluate: llm("review", { prompt: (draft: string) => `Review this post:\n${draft}`, output: Review }),
    until: (review) => review.pass,
    maxRounds: 3,
  })
  .parallel({
    en: code("original", (text: string) => text),
    fr: llm("translate-fr", { prompt: (text: string) => `Translate into French:\n${text}` }),
  })
  .step(approval("editor", { timeout: "2d", onTimeout: "reject" }))
  .step(tool("publish_post", { args: (p: { en: string; fr: string }) => ({ title: "Post", body: p.en, translations: { fr: p.fr } }) }))
  .definition();
