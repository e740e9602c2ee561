import { McpHttpServerInput, McpStdioServerInput, type McpServerConfig } from "../../shared/mcp.js";
import { readCatalogDocuments } from "../catalog.js";

/**
 * The MCP servers the catalog declares (`kind: mcp-server`): a command and its arguments (stdio) or
 * a URL and headers (streamable HTTP). Problems come back as `file: field: reason` lines.
 */
export async function readMcpServers(dir: string): Promise<{ servers: McpServerConfig[]; problems: string[] }> {
  const { documents } = await readCatalogDocuments(dir);
  const servers: McpServerConfig[] = [];
  const problems: string[] = [];
  for (const { file, kind, fields } of documents) {
    if (kind !== "mcp-server") continue;
    // A URL makes it an HTTP server; anything else is read as a stdio one (and needs a command).
    const parsed = "url" in fields ? McpHttpServerInput.safeParse(fields) : McpStdioServerInput.safeParse(fields);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${file}: ${issue.path.join(".") || "(file)"}: ${issue.message}`);
      continue;
    }
    const taken = servers.find((server) => server.name === parsed.data.name);
    if (taken) problems.push(`${file}: name: another catalog file already declares the MCP server "${taken.name}"`);
    else servers.push(parsed.data);
  }
  return { servers, problems };
}
