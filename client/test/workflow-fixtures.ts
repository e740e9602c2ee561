import type { Budget } from "../../shared/events.js";
import type { WorkflowGraph } from "../../shared/workflow.js";

/** The content pipeline as workflows/graph.ts draws it: draft → review loop → translations in parallel → approval → publish. */
export const PIPELINE: WorkflowGraph = {
  nodes: [
    {id: "start", kind: "start", label: "start"},
    {id: "draft", kind: "llm", label: "draft", detail: "model"},
    {id: "review-loop", kind: "loop", label: "review-loop", detail: "≤ 3 rounds"},
    {id: "review-loop/revise", kind: "llm", label: "revise", parent: "review-loop", detail: "model"},
    {id: "review-loop/review", kind: "llm", label: "review", parent: "review-loop", detail: "model → JSON"},
    {id: "translate", kind: "parallel", label: "translate", detail: "all at once"},
    {id: "translate/fr/translate-fr", kind: "llm", label: "translate-fr", parent: "translate", detail: "model"},
    {id: "translate/de/translate-de", kind: "llm", label: "translate-de", parent: "translate", detail: "model"},
    {id: "editor", kind: "approval", label: "editor", detail: "a person decides"},
    {id: "publish", kind: "tool", label: "publish", detail: "tool publish"},
    {id: "end", kind: "end", label: "end"},
  ],
  edges: [
    {from: "review-loop/revise", to: "review-loop/review"},
    {from: "review-loop/review", to: "review-loop/revise", label: "until it passes", back: true},
    {from: "draft", to: "review-loop/revise"},
    {from: "translate", to: "translate/fr/translate-fr", label: "fr"},
    {from: "translate", to: "translate/de/translate-de", label: "de"},
    {from: "review-loop/review", to: "translate"},
    {from: "translate/fr/translate-fr", to: "editor"},
    {from: "translate/de/translate-de", to: "editor"},
    {from: "editor", to: "publish"},
    {from: "start", to: "draft"},
    {from: "publish", to: "end"},
  ],
};

/** Order triage as workflows/graph.ts draws it: classify, then one of three branches, one a chain with an approval. */
export const TRIAGE: WorkflowGraph = {
  nodes: [
    {id: "start", kind: "start", label: "start"},
    {id: "classify", kind: "llm", label: "classify", detail: "model → JSON"},
    {id: "route", kind: "route", label: "route", detail: "one branch"},
    {id: "route/damaged/lookup_order", kind: "tool", label: "lookup_order", parent: "route", detail: "tool lookup_order"},
    {id: "route/damaged/refund-ok", kind: "approval", label: "refund-ok", parent: "route", detail: "a person decides; rejects after 2d"},
    {id: "route/damaged/issue_refund", kind: "tool", label: "issue_refund", parent: "route", detail: "tool issue_refund"},
    {id: "route/wrong_item/writer", kind: "agent", label: "writer", parent: "route", detail: "agent writer"},
    {id: "route/late/eta", kind: "code", label: "eta", parent: "route", detail: "code"},
    {id: "end", kind: "end", label: "end"},
  ],
  edges: [
    {from: "route/damaged/lookup_order", to: "route/damaged/refund-ok"},
    {from: "route/damaged/refund-ok", to: "route/damaged/issue_refund"},
    {from: "route", to: "route/damaged/lookup_order", label: "damaged"},
    {from: "route", to: "route/wrong_item/writer", label: "wrong_item"},
    {from: "route", to: "route/late/eta", label: "late"},
    {from: "classify", to: "route"},
    {from: "start", to: "classify"},
    {from: "route/damaged/issue_refund", to: "end"},
    {from: "route/wrong_item/writer", to: "end"},
    {from: "route/late/eta", to: "end"},
  ],
};

export const PIPELINE_BUDGET: Budget = { modelCalls: { min: 5, max: 9 }, approvals: 1, agentRuns: 0, unboundedSteps: [] };
