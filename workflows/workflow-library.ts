import type { Logger } from "../platform/logger.js";
import type { WorkflowRegistry } from "../platform/workflow-registry.js";
import type { Budget } from "../shared/events.js";
import { WORKFLOW_SUMMARY_VERSION, type WorkflowSummary } from "../shared/workflow.js";
import { budget, type BudgetLimits } from "./budget.js";
import { CatalogWorkflowSource, catalogWorkflow } from "./catalog-workflow.js";
import type { WorkflowDefinition } from "./define-workflow.js";
import { workflowGraph } from "./graph.js";
import type { WorkflowLibrary as RunnerLibrary } from "./workflow-runner.js";
import { z } from "zod";

/**
 * The workflows this process can run: the current definitions by name, and earlier catalog
 * versions rebuilt from their stored source, so a run pinned to one finishes on it.
 */
export class WorkflowLibrary implements RunnerLibrary {
  private readonly byName: Map<string, WorkflowDefinition>;
  private readonly earlier = new Map<string, WorkflowDefinition>();

  constructor(
    definitions: WorkflowDefinition[],
    private readonly registry: WorkflowRegistry,
    private readonly limits: Omit<BudgetLimits, "workflow">,
    private readonly log: Logger,
  ) {
    this.byName = new Map(definitions.map((definition) => [definition.name, definition]));
  }

  list(): WorkflowDefinition[] {
    return [...this.byName.values()];
  }

  current(name: string): WorkflowDefinition | undefined {
    return this.byName.get(name);
  }

  async pinned(name: string, version: string): Promise<WorkflowDefinition | undefined> {
    const current = this.byName.get(name);
    if (current?.version === version) return current;
    const cached = this.earlier.get(version);
    if (cached) return cached;
    // Code workflows cannot be rebuilt from data: only catalog sources are kept by version.
    const parsed = CatalogWorkflowSource.safeParse(await this.registry.source(version));
    if (!parsed.success || parsed.data.name !== name) return undefined;
    try {
      const definition = catalogWorkflow(parsed.data, `an earlier version of ${name}`);
      this.earlier.set(version, definition);
      return definition;
    } catch (error) {
      this.log.error({ err: error, workflow: name, version }, "a stored workflow version no longer builds");
      return undefined;
    }
  }

  budget(definition: WorkflowDefinition): Budget {
    return budget(definition, { ...this.limits, workflow: (name) => this.byName.get(name) });
  }

  summary(definition: WorkflowDefinition): WorkflowSummary {
    const { $schema: _ignored, ...inputSchema } = z.toJSONSchema(definition.input, { io: "input" }) as Record<string, unknown>;
    return {
      v: WORKFLOW_SUMMARY_VERSION,
      name: definition.name,
      description: definition.description,
      version: definition.version,
      inputSchema,
      graph: workflowGraph(definition),
      budget: this.budget(definition),
      source: definition.origin === "code" ? "code" : "catalog",
      ...(definition.origin === "code" ? {} : { origin: definition.origin }),
      updatedAt: new Date().toISOString(),
    };
  }
}
