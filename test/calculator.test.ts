import { describe, expect, it } from "vitest";
import { ToolError } from "../agents/errors.js";
import { calculate, calculatorTool } from "../agents/tools/calculator.js";
import { createLogger } from "../platform/logger.js";

const context = { conversationId: "c", runId: "r", agent: "a", idempotencyKey: "r:1", log: createLogger("silent") };

/** Runs the tool as the agent loop does: arguments through the zod schema, then `execute`. */
async function run(expression: string) {
  const args = calculatorTool.parameters.parse({ expression });
  return calculatorTool.execute(args, context);
}

describe("calculate tool", () => {
  it("takes a percentage of a number with a thousands separator exactly", async () => {
    const result = await run("17.5% of 2,480");
    expect(result).toEqual({ expression: "17.5% of 2,480", result: "434", answer: "17.5% of 2,480 = 434" });
  });

  it("adds decimals without floating-point noise", async () => {
    expect((await run("0.1 + 0.2")).result).toBe("0.3");
    expect((await run("0.1 + 0.2 == 0.3")).result).toBe("true");
  });

  it("converts miles to kilometres and shows the quantity as written", async () => {
    const result = await run("5 miles to km");
    expect(result.result).toBe("8.04672 km");
    expect(result.answer).toBe("5 miles = 8.04672 km");
  });

  it("converts temperatures written with degree signs or unit names", async () => {
    const signs = await run("100 °F to °C");
    expect(signs.result).toBe("37.77777778 degC");
    expect(signs.answer).toBe("100 °F = 37.77777778 °C");
    expect((await run("100 degF to degC")).result).toBe("37.77777778 degC");
    expect((await run("212 fahrenheit in celsius")).result).toBe("100 degC");
  });

  it("understands unit words mathjs does not know", async () => {
    expect((await run("10 kilometres into miles")).result).toBe("6.213711922 mile");
    expect((await run("150 pounds to kg")).result).toBe("68.0388555 kg");
  });

  it("removes thousands separators but keeps commas between function arguments", async () => {
    expect((await run("2,480 + 20")).result).toBe("2500");
    expect((await run("1,234,567 * 2")).result).toBe("2469134");
    expect((await run("(2,480 + 20) / 4")).result).toBe("625");
    expect((await run("max(1, 2)")).result).toBe("2");
    expect((await run("max(1,200)")).result).toBe("200");
  });

  it("reads words and symbols people write", async () => {
    expect((await run("what is 3 times 4 plus 2?")).answer).toBe("3 times 4 plus 2 = 14");
    expect((await run("15 percent of 80")).result).toBe("12");
    expect((await run("6 ÷ 4 × 2")).result).toBe("3");
    expect((await run("10 divided by 4")).result).toBe("2.5");
  });

  it("shows whole numbers exactly and others to ten significant digits", async () => {
    expect((await run("10!")).result).toBe("3628800");
    expect((await run("1/3")).result).toBe("0.3333333333");
    expect((await run("2^64")).result).toBe("1.844674407e+19");
  });

  it.each(['import({}, {})', 'createUnit("x")', 'evaluate("1")', "parse(\"1\")", "simplify(x)"])(
    "refuses %s as not available",
    async (expression) => {
      await expect(run(expression)).rejects.toThrow(ToolError);
      await expect(run(expression)).rejects.toThrow(/is not available/);
    },
  );

  it("refuses assignments, function definitions and text", async () => {
    await expect(calculate("x = 3")).rejects.toThrow(/assigning a variable is not allowed/);
    await expect(calculate("f(x) = x^2")).rejects.toThrow(/defining a function is not allowed/);
    await expect(calculate('"abc"')).rejects.toThrow(/text in quotes is not allowed/);
  });

  it("refuses factorials large enough to stall the worker", async () => {
    await expect(calculate("factorial(10^7)")).rejects.toThrow(/limited to arguments up to 10000/);
  });

  it("says what it did not understand and gives an example", async () => {
    await expect(calculate("5 widgets to km")).rejects.toThrow(/"widgets" is not a number, unit, constant or function/);
    await expect(calculate("1 +")).rejects.toThrow(/did not understand.*e\.g\. '17\.5% of 2,480'/);
    await expect(calculate("1/0")).rejects.toThrow(/not a finite number/);
    await expect(calculate("what is ?")).rejects.toThrow(/there is no expression/);
  });

  it("rejects an empty or oversized expression at the schema", () => {
    expect(calculatorTool.parameters.safeParse({ expression: "" }).success).toBe(false);
    expect(calculatorTool.parameters.safeParse({ expression: "1+".repeat(300) + "1" }).success).toBe(false);
    expect(calculatorTool.jsonSchema).toMatchObject({ required: ["expression"] });
  });
});
