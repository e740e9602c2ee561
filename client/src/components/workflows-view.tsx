import { useEffect, useMemo, useRef } from "react";
import { RequestError, type StartedRun, type SwitchboardApi, type WorkflowInfo } from "../api.js";
import type { WorkflowRunsState } from "../hooks/use-workflow-runs.js";
import type { WorkflowsState } from "../hooks/use-workflows.js";
import { routeHref } from "../route.js";
import { layoutWorkflowGraph } from "../workflow-graph-layout.js";
import { describeBudget } from "../workflow-text.js";
import { WorkflowGraphView } from "./workflow-graph.js";
import { WorkflowRunsList } from "./workflow-runs-list.js";
import { WorkflowStartForm, type StartResult } from "./workflow-start-form.js";

const workflowHref = (name: string | undefined): string => routeHref({ kind: "workflows", workflow: name });

function WorkflowCard({ workflow }: { workflow: WorkflowInfo }) {
  return (
    <li className="wf-card" data-testid="workflow-card" data-workflow={workflow.name}>
      <h3 className="wf-card-title">
        <a href={workflowHref(workflow.name)}>{workflow.name}</a>
      </h3>
      {workflow.description !== "" && <p className="wf-card-description">{workflow.description}</p>}
      <p className="wf-bound" data-testid="workflow-bound">
        <span className="wf-bound-label">Bound:</span> {describeBudget(workflow.budget)}
      </p>
    </li>
  );
}

function WorkflowList({ workflows, runs, onCancel }: { workflows: WorkflowsState; runs: WorkflowRunsState; onCancel: (runId: string) => Promise<string | undefined> }) {
  return (
    <>
      <p className="wf-intro">
        Workflows keep control in code: every path is known before a run, and so is its cost, the most model calls it can make. Open
        one to see its graph and start it; each run gets its own conversation, where you watch it and approve its steps.
      </p>
      <section className="wf-section" aria-labelledby="wf-available">
        <h2 id="wf-available" className="wf-section-title">
          Available workflows
        </h2>
        {workflows.error !== undefined && (
          <p className="inline-error" role="alert">
            Could not load the workflows: {workflows.error}
          </p>
        )}
        {workflows.workflows.length === 0 && workflows.error === undefined && (
          <p className="muted">{workflows.loading ? "Loading the workflows…" : "No workflows yet."}</p>
        )}
        <ul className="wf-cards" data-testid="workflow-list">
          {workflows.workflows.map((workflow) => (
            <WorkflowCard key={workflow.name} workflow={workflow} />
          ))}
        </ul>
      </section>
      <section className="wf-section" aria-labelledby="wf-recent">
        <h2 id="wf-recent" className="wf-section-title">
          Recent runs
        </h2>
        <WorkflowRunsList runs={runs.runs} loading={runs.loading} error={runs.error} showWorkflow onCancel={onCancel} />
      </section>
    </>
  );
}

function WorkflowDetail({
  workflow,
  runs,
  onStart,
  onCancel,
}: {
  workflow: WorkflowInfo;
  runs: WorkflowRunsState;
  onStart: (input: unknown) => Promise<StartResult>;
  onCancel: (runId: string) => Promise<string | undefined>;
}) {
  const mine = runs.runs.filter((run) => run.workflow === workflow.name);
  // The graph's column starts from the narrowest the drawing reads well at; the form takes the rest,
  // or goes below when both do not fit.
  const layout = useMemo(() => layoutWorkflowGraph(workflow.graph), [workflow.graph]);
  const graphBasis = Math.round(Math.min(layout.width, Math.max(300, layout.width * 0.8))) + 30;
  return (
    <>
      {workflow.description !== "" && <p className="wf-intro">{workflow.description}</p>}
      <p className="wf-bound wf-bound-large" data-testid="workflow-bound">
        <span className="wf-bound-label">Bound, known before it runs:</span> {describeBudget(workflow.budget)}
      </p>
      <div className="wf-detail-grid">
        <section className="wf-section wf-graph-section" aria-labelledby="wf-graph-title" style={{ flexBasis: graphBasis }}>
          <h2 id="wf-graph-title" className="wf-section-title">
            Graph
          </h2>
          <WorkflowGraphView name={workflow.name} graph={workflow.graph} />
        </section>
        <section className="wf-section wf-form-section" aria-labelledby="wf-start-title">
          <h2 id="wf-start-title" className="wf-section-title">
            Start a run
          </h2>
          <WorkflowStartForm key={`${workflow.name}:${workflow.version}`} workflow={workflow} onStart={onStart} />
        </section>
      </div>
      <section className="wf-section" aria-labelledby="wf-runs-title">
        <h2 id="wf-runs-title" className="wf-section-title">
          Recent runs of {workflow.name}
        </h2>
        <WorkflowRunsList runs={mine} loading={runs.loading} error={runs.error} showWorkflow={false} onCancel={onCancel} />
      </section>
    </>
  );
}

/**
 * The Workflows view, in the main column: every workflow with its description and bound, and the
 * recent runs (`#/workflows`); or one workflow's graph, start form and runs (`#/workflows/<name>`).
 * A started run opens its conversation.
 */
export function WorkflowsView({
  name,
  api,
  workflows,
  runs,
  onStarted,
  onCancel,
}: {
  name: string | undefined;
  api: SwitchboardApi;
  workflows: WorkflowsState;
  runs: WorkflowRunsState;
  onStarted: (run: StartedRun) => void;
  onCancel: (runId: string) => Promise<string | undefined>;
}) {
  const workflow = name === undefined ? undefined : workflows.byName.get(name);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const title = name ?? "Workflows";

  // Arriving on the view (or another workflow) puts keyboard and screen reader users at its title.
  useEffect(() => {
    headingRef.current?.focus({ preventScroll: true });
  }, [name]);

  const start = async (input: unknown): Promise<StartResult> => {
    if (name === undefined) return { ok: false, message: "No workflow is open." };
    try {
      const started = await api.startWorkflowRun(name, input);
      onStarted(started);
      return { ok: true };
    } catch (caught) {
      if (caught instanceof RequestError) return { ok: false, message: caught.message };
      return { ok: false, message: "Could not reach the Switchboard server." };
    }
  };

  return (
    <main className="chat workflows-main" data-testid="workflows-view" aria-labelledby="workflows-title">
      <header className="chat-header wf-header">
        {name !== undefined && (
          <a className="wf-back" href={workflowHref(undefined)}>
            <span aria-hidden="true">←</span> All workflows
          </a>
        )}
        <h1 id="workflows-title" ref={headingRef} className="chat-title" tabIndex={-1}>
          {title}
        </h1>
      </header>
      <div className="wf-scroll">
        <div className="wf-page">
          {name === undefined ? (
            <WorkflowList workflows={workflows} runs={runs} onCancel={onCancel} />
          ) : workflow !== undefined ? (
            <WorkflowDetail workflow={workflow} runs={runs} onStart={start} onCancel={onCancel} />
          ) : workflows.loading ? (
            <p className="muted">Loading the workflow…</p>
          ) : (
            <p className="inline-error" role="alert">
              There is no workflow named {name}. <a href={workflowHref(undefined)}>See all workflows</a>.
            </p>
          )}
        </div>
      </div>
    </main>
  );
}
