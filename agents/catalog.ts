import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { AgentSpecInput, type AgentSpecFields } from "../shared/agent-spec.js";
import { a2aAgentEntry } from "./a2a/a2a-agent-file.js";

export interface CatalogEntry {
  spec: AgentSpecFields;
  /** The file, relative to the working directory, for messages and the registry's `origin`. */
  file: string;
  /** A remote agent's (`kind: a2a-agent`): its headers, kept out of the registry, and whether its card gives the description. */
  remote?: { headers: Record<string, string>; describeFromCard: boolean };
}

/** One parsed catalog file: what it declares (`kind`, "agent" when absent) and its fields. */
export interface CatalogDocument {
  file: string;
  kind: string;
  fields: Record<string, unknown>;
}

const EXTENSIONS = new Set([".yaml", ".yml", ".json"]);
const KINDS = new Set(["agent", "a2a-agent", "workflow", "mcp-server"]);

/**
 * Reads every file (YAML or JSON) in the catalog folder. All problems are collected and returned as
 * `file: field: reason` lines, so one start reports every broken file at once.
 */
export async function readCatalogDocuments(dir: string): Promise<{ documents: CatalogDocument[]; problems: string[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => EXTENSIONS.has(path.extname(name).toLowerCase())).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { documents: [], problems: [] };
    throw error;
  }
  const documents: CatalogDocument[] = [];
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
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      problems.push(`${file}: (file): expected a mapping of fields`);
      continue;
    }
    const { kind = "agent", ...fields } = raw as Record<string, unknown>;
    if (typeof kind !== "string" || !KINDS.has(kind)) {
      problems.push(`${file}: kind: "${String(kind)}" is not one of ${[...KINDS].join(", ")}`);
      continue;
    }
    documents.push({ file, kind, fields });
  }
  return { documents, problems };
}

/** The agent files of the catalog (local agents and remote A2A ones), validated. */
export async function readCatalog(dir: string): Promise<{ entries: CatalogEntry[]; problems: string[] }> {
  const { documents, problems } = await readCatalogDocuments(dir);
  const entries: CatalogEntry[] = [];
  for (const { file, kind, fields } of documents) {
    if (kind === "a2a-agent") {
      const remote = a2aAgentEntry(fields, file);
      problems.push(...remote.problems);
      if (remote.entry) entries.push(remote.entry);
      continue;
    }
    if (kind !== "agent") continue;
    const parsed = AgentSpecInput.safeParse(fields);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${file}: ${issue.path.join(".") || "(file)"}: ${issue.message}`);
      continue;
    }
    entries.push({ spec: parsed.data, file });
  }
  return { entries, problems };
}
