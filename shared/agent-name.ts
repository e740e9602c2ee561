import { z } from "zod";

/** Agent names are lowercase words; they name queues, so they stay short and key-safe. */
export const AgentName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,31}$/, "2–32 characters: lowercase letters, digits or '-', starting with a letter");
export type AgentName = z.infer<typeof AgentName>;

/** The agent every user message reaches first. */
export const MANAGER = "manager";
