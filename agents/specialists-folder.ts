import { readdir } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { AgentDefinition } from "./define-agent.js";
import { ConfigurationError } from "./errors.js";

/**
 * Loads specialists written in TypeScript (or JavaScript): every module in the folder whose
 * default export is an agent from `defineAgent`, or a list of them.
 */
export async function loadSpecialists(dir: string): Promise<AgentDefinition[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => /\.(ts|js|mjs)$/.test(name) && !name.endsWith(".d.ts")).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const agents: AgentDefinition[] = [];
  if (names.some((name) => name.endsWith(".ts"))) await loadTypeScript();
  for (const name of names) {
    const file = path.resolve(dir, name);
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    const exported = Array.isArray(module.default) ? module.default : [module.default];
    for (const candidate of exported) {
      if (!isAgent(candidate)) {
        throw new ConfigurationError(`${path.join(dir, name)}: the default export must be an agent from defineAgent() (or a list of them)`);
      }
      agents.push(candidate);
    }
  }
  return agents;
}

/**
 * Compiled Switchboard (dist/, `npm start`) runs on plain Node, which cannot load TypeScript: tsx's
 * loader is registered for the specialists then. Under tsx or the test runner this module is
 * TypeScript itself, and TypeScript already loads.
 */
async function loadTypeScript(): Promise<void> {
  if (import.meta.url.endsWith(".ts")) return;
  const { register } = await import("tsx/esm/api");
  register();
}

function isAgent(value: unknown): value is AgentDefinition {
  const agent = value as Partial<AgentDefinition> | undefined;
  return typeof agent?.name === "string" && typeof agent.instructions === "string" && Array.isArray(agent.tools);
}
