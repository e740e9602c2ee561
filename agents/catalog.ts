import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { AgentSpecInput, type AgentSpecFields } from "../shared/agent-spec.js";

export interface CatalogEntry {
  spec: AgentSpecFields;
  /** The file, relative to the working directory, for messages and the registry's `origin`. */
  file: string;
}

const EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

/**
 * Reads every agent file (YAML or JSON) in the catalog folder. All problems are collected and
 * returned as `file: field: reason` lines, so one start reports every broken file at once.
 */
export async function readCatalog(dir: string): Promise<{ entries: CatalogEntry[]; problems: string[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => EXTENSIONS.has(path.extname(name).toLowerCase())).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { entries: [], problems: [] };
    throw error;
  }
  const entries: CatalogEntry[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const file = path.relative(process.cwd(), path.join(dir, name)) || name;
    const text = await readFile(path.join(dir, name), "utf8");
    let raw: unknown;
    try {
      raw = path.extname(name).toLowerCase() === ".json" ? JSON.parse(text) : YAML.parse(text);
    } catch (error) {
      problems.push(`${file}: not valid ${path.extname(name).slice(1).toUpperCase()}: ${(error as Error).message.split("\n")[0]}`);
      continue;
    }
    const parsed = AgentSpecInput.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${file}: ${issue.path.join(".") || "(file)"}: ${issue.message}`);
      continue;
    }
    entries.push({ spec: parsed.data, file });
  }
  return { entries, problems };
}
