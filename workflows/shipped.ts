import type { WorkflowDefinition } from "./define-workflow.js";
import { contentPipeline } from "./examples/content-pipeline.js";
import { orderTriage } from "./examples/order-triage.js";
import { orderTools } from "./examples/tools/orders.js";
import { publishPostTool } from "./examples/tools/publishing.js";

/** The workflows Switchboard ships in code (the refund approval ships as a catalog file). */
export const shippedWorkflows: WorkflowDefinition[] = [orderTriage, contentPipeline];

/** The tools the shipped workflows use. */
export const shippedWorkflowTools = [...orderTools, publishPostTool];
