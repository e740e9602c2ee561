import type { RunFailureCode } from "../shared/events.js";

export { ConfigurationError } from "../shared/errors.js";

/** A tool could not do what was asked; its message goes back to the model as an observation. */
export class ToolError extends Error {
  override name = "ToolError";
}

/**
 * The run cannot go on; it ends with a `run.failed` event carrying `code` and this message, which is
 * written for the person who reads it. `detail` is the raw cause (a status, a body excerpt) for the log.
 */
export class RunFailure extends Error {
  override name = "RunFailure";
  readonly detail: string | undefined;
  /** Trying the same step again may well succeed (a stream cut or stalled mid-answer). */
  readonly transient: boolean;
  constructor(
    readonly code: RunFailureCode,
    message: string,
    options?: { cause?: unknown; detail?: string; transient?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options?.detail;
    this.transient = options?.transient ?? false;
  }
}
