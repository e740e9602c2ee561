import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { AgentSummary } from "../src/api.js";
import { AgentRow } from "../src/components/agent-row.js";

const noop = () => undefined;
const actions = { onTry: noop, onEdit: noop, onHistory: noop, onToggle: noop, onAskDelete: noop, onConfirmDelete: noop, onCancelDelete: noop };

/** The agents panel's row for `fields` as GET /api/agents sends them (parsed as the client parses them). */
const row = (fields: Record<string, unknown>): string =>
  renderToStaticMarkup(
    createElement(AgentRow, {
      agent: AgentSummary.parse(fields),
      now: Date.parse("2026-12-01T12:00:00Z"),
      canChange: false,
      busy: false,
      confirming: false,
      problem: undefined,
      highlighted: false,
      actions,
    }),
  );

describe("an agent's row in the agents panel", () => {
  it("says a remote agent runs elsewhere and names its card, not a model it does not use", () => {
    const html = row({
      name: "translator",
      description: "Translates text.",
      model: "gpt-4.1-mini",
      temperature: 0.2,
      source: "catalog",
      origin: "translator.yaml",
      remote: { kind: "a2a", card: "https://agents.example.com/.well-known/agent-card.json" },
    });
    expect(html).toContain('data-testid="agent-remote"');
    expect(html).toContain("runs elsewhere: the A2A agent of");
    expect(html).toContain("https://agents.example.com/.well-known/agent-card.json");
    expect(html).not.toContain("gpt-4.1-mini");
    expect(html).not.toContain("temperature");
  });

  it("shows a local agent's model and settings, and no remote badge", () => {
    const html = row({ name: "calculator", description: "Does arithmetic.", model: "gpt-4.1-mini", temperature: 0.2, maxTokens: 500, source: "code" });
    expect(html).not.toContain("agent-remote");
    expect(html).toContain("gpt-4.1-mini");
    expect(html).toContain("temperature 0.2");
    expect(html).toContain("at most 500 tokens per answer");
  });

  it("keeps an agent whose remote link it cannot read, without the badge", () => {
    expect(row({ name: "odd", remote: { kind: 3 } })).not.toContain("agent-remote");
  });
});
