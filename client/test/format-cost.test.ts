import { describe, expect, it } from "vitest";
import { formatCost, OFFLINE_MODEL } from "../src/format.js";

describe("showing what a run cost", () => {
  it("says the offline model is free instead of showing $0.0000", () => {
    expect(formatCost(0, OFFLINE_MODEL)).toBe("free (offline model)");
    expect(formatCost(0, [OFFLINE_MODEL, OFFLINE_MODEL])).toBe("free (offline model)");
  });

  it("shows dollars for any other model, for a mix, or when the model is not known", () => {
    expect(formatCost(0.00042, "gpt-4o-mini")).toBe("$0.0004");
    // A local server's model has no known price: zero, but not "free (offline model)".
    expect(formatCost(0, "llama3")).toBe("$0.0000");
    expect(formatCost(0, [OFFLINE_MODEL, "llama3"])).toBe("$0.0000");
    expect(formatCost(0, [OFFLINE_MODEL, undefined])).toBe("$0.0000");
    expect(formatCost(0, [])).toBe("$0.0000");
    expect(formatCost(0)).toBe("$0.0000");
  });
});
