import { describe, expect, it } from "vitest";
import { fieldsNamedIn, formFromSchema, humanize, initialValues, inputFromValues } from "../src/workflow-form-model.js";

const BRIEF = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  properties: {
    topic: { type: "string", minLength: 1, description: "What the post is about" },
    brief: { type: "string" },
    audience: { type: "string", enum: ["developers", "managers"] },
    words: { type: "integer", minimum: 100, maximum: 2000, default: 600 },
    score: { type: "number" },
    urgent: { type: "boolean" },
    tags: { type: "array", items: { type: "string" } },
    tone: { anyOf: [{ const: "formal" }, { const: "casual" }, { type: "null" }] },
    orderId: { type: ["string", "null"], title: "Order number" },
  },
  required: ["topic", "audience", "words"],
  additionalProperties: false,
};

describe("formFromSchema", () => {
  it("maps each JSON Schema type to its control, with required marks and labels", () => {
    const form = formFromSchema(BRIEF);
    expect(form.shape).toBe("object");
    expect(form.fields.map((field) => [field.name, field.control, field.required])).toEqual([
      ["topic", "text", true],
      ["brief", "textarea", false],
      ["audience", "select", true],
      ["words", "number", true],
      ["score", "number", false],
      ["urgent", "checkbox", false],
      ["tags", "json", false],
      ["tone", "select", false],
      ["orderId", "text", false],
    ]);
    const byName = new Map(form.fields.map((field) => [field.name, field]));
    expect(byName.get("topic")?.description).toBe("What the post is about");
    expect(byName.get("words")).toMatchObject({ integer: true, minimum: 100, maximum: 2000 });
    expect(byName.get("audience")?.options.map((option) => option.label)).toEqual(["developers", "managers"]);
    expect(byName.get("tone")?.options.map((option) => option.value)).toEqual(["formal", "casual"]);
    expect(byName.get("orderId")?.label).toBe("Order number");
    expect(byName.get("score")?.label).toBe("Score");
  });

  it("follows local $refs and treats a long maxLength as a text area", () => {
    const form = formFromSchema({
      $ref: "#/$defs/Issue",
      $defs: { Issue: { type: "object", properties: { note: { $ref: "#/$defs/Note" } }, required: ["note"] }, Note: { type: "string", maxLength: 2000 } },
    });
    expect(form.fields).toHaveLength(1);
    expect(form.fields[0]).toMatchObject({ name: "note", control: "textarea", required: true, maxLength: 2000 });
  });

  it("asks for a single value when the input is not an object, and for nothing when it takes none", () => {
    const single = formFromSchema({ type: "string", title: "Question" });
    expect(single.shape).toBe("value");
    expect(single.fields[0]).toMatchObject({ label: "Question", control: "text", required: true });
    expect(inputFromValues(single, { "": " why? " })).toEqual({ ok: true, input: "why?" });
    expect(formFromSchema({}).fields).toEqual([]);
    expect(inputFromValues(formFromSchema({ type: "object", properties: {} }), {})).toEqual({ ok: true, input: {} });
  });
});

describe("inputFromValues", () => {
  const form = formFromSchema(BRIEF);

  it("starts from the schema's defaults and a required choice's first option", () => {
    const values = initialValues(form, BRIEF);
    expect(values).toMatchObject({ topic: "", words: "600", audience: "0", tone: "", urgent: false, tags: "" });
  });

  it("builds the input from what was typed, leaving out empty optional fields", () => {
    const values = { ...initialValues(form, BRIEF), topic: "  Green tea ", audience: "1", urgent: true, tags: '["a", "b"]', tone: "1", brief: "Line one\nline two\n\n" };
    expect(inputFromValues(form, values)).toEqual({
      ok: true,
      input: { topic: "Green tea", brief: "Line one\nline two", audience: "managers", words: 600, urgent: true, tags: ["a", "b"], tone: "casual" },
    });
  });

  it("refuses empty required fields, numbers out of range and bad JSON, naming each field", () => {
    const values = { ...initialValues(form, BRIEF), topic: "  ", words: "12.5", score: "lots", tags: "[1," };
    const result = inputFromValues(form, values);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { field: "topic", message: "Topic is required." },
      { field: "words", message: "Words must be a whole number." },
      { field: "score", message: "Score must be a number." },
      { field: "tags", message: 'Tags must be JSON, e.g. ["first", "second"].' },
    ]);
    const low = inputFromValues(form, { ...initialValues(form, BRIEF), topic: "x", words: "5" });
    expect(!low.ok && low.problems[0]?.message).toBe("Words must be at least 100.");
  });
});

it("finds the fields a server message names", () => {
  const form = formFromSchema(BRIEF);
  expect(fieldsNamedIn("input.topic: Required; words: Too small: expected number to be >=100", form)).toEqual(["topic", "words"]);
  expect(fieldsNamedIn("topics are fine", form)).toEqual([]);
});

it("turns property names into labels", () => {
  expect(humanize("orderId")).toBe("Order id");
  expect(humanize("target_language")).toBe("Target language");
  expect(humanize("")).toBe("Input");
});
