/** What a workflow written in TypeScript needs from Switchboard. */
export { budget } from "./budget.js";
export { defineWorkflow, type Workflow, type WorkflowDefinition } from "./define-workflow.js";
export { agent, approval, chain, code, gate, llm, tool, workflow, type LoopRound, type Step, type StepContext } from "./step.js";
