import type { RunFailureCode } from "../shared/events.js";

/** A definition or setting is wrong; raised at construction, never mid-run. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

/** A tool could not do what was asked; its message goes back to the model as an observation. */
export class ToolError extends Error {
  override name = "ToolError";
}

/** The run cannot go on; it ends with a `run.failed` event carrying `code` and this message. */
export class RunFailure extends Error {
  override name = "RunFailure";
  constructor(
    readonly code: RunFailureCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
