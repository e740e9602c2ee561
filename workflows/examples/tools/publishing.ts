import { z } from "zod";
import { defineTool } from "../../../agents/define-tool.js";
import { reference } from "./orders.js";

export const publishPostTool = defineTool({
  name: "publish_post",
  description: "Publishes an announcement on the company blog, with its translations, and returns the post's address.",
  parameters: z.object({
    title: z.string().min(1).max(200).describe("The post's title"),
    body: z.string().min(1).max(20_000).describe("The post in English"),
    translations: z.record(z.string().regex(/^[a-z]{2}$/), z.string().min(1)).describe("The post in other languages, by language code"),
  }),
  execute: ({ title, translations }, context) => {
    const id = reference("post", context.idempotencyKey);
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || id;
    return { id, url: `https://blog.example.com/${slug}`, languages: ["en", ...Object.keys(translations)], status: "published" };
  },
});
