import { expectTypeOf, test } from "vitest";
import { z } from "zod";
import { parseInput } from "../server/http-error.js";
import { type ErrorBody, type ErrorCode, RateLimitedError, SwitchboardError } from "../shared/errors.js";
import type { AckResponse } from "../shared/socket-events.js";

// Checked by `tsc -p .` (npm test runs it first): every @ts-expect-error below must be an error.
test("an error code outside the union does not compile", () => {
  expectTypeOf(new SwitchboardError("unknown_run", "No workflow run.").code).toEqualTypeOf<ErrorCode>();
  // @ts-expect-error a typo'd code
  new SwitchboardError("unknown_rnu", "No workflow run.");
  // @ts-expect-error the status follows from the code: it is not passed, so the old (status, code) order fails
  new SwitchboardError(400, "not_a_code", "Bad.");
  expectTypeOf(new RateLimitedError(3, "Too many.")).toExtend<SwitchboardError>();
});

test("input is refused with a 400 code only", () => {
  parseInput(z.string(), "x", "invalid_query");
  // @ts-expect-error a 404 code for a parse failure
  parseInput(z.string(), "x", "unknown_run");
  // @ts-expect-error not a code at all
  parseInput(z.string(), "x", "invalid_thing");
});

test("acks carry the same error body as REST", () => {
  expectTypeOf<Extract<AckResponse<unknown>, { ok: false }>["error"]>().toEqualTypeOf<ErrorBody>();
  // @ts-expect-error an ack's code is from the union
  const refused: AckResponse<unknown> = { ok: false, error: { code: "oops", message: "…" } };
  expectTypeOf(refused).toEqualTypeOf<AckResponse<unknown>>();
});
