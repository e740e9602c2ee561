import { describe, expect, it } from "vitest";
import { splitStreamingText } from "../src/streaming-text.js";

describe("splitStreamingText", () => {
  it("settles the blocks before the block being written", () => {
    const text = "## Part 1\n\nA paragraph **done**.\n\n- one\n- two\n\nThe next para";
    expect(splitStreamingText(text)).toEqual({ settled: "## Part 1\n\nA paragraph **done**.\n\n- one\n- two\n\n", tail: "The next para" });
  });

  it("puts the pieces back together as the text was", () => {
    const text = "One.\n\nTwo.\n\n```\ncode\n\nmore\n```\n\nThree";
    const { settled, tail } = splitStreamingText(text);
    expect(settled + tail).toBe(text);
  });

  it("never cuts inside an open code fence", () => {
    const text = "Intro.\n\n```ts\nconst a = 1;\n\nconst b = 2;";
    expect(splitStreamingText(text)).toEqual({ settled: "Intro.\n\n", tail: "```ts\nconst a = 1;\n\nconst b = 2;" });
  });

  it("cuts after a closed fence", () => {
    const text = "Intro.\n\n~~~\nx\n\ny\n~~~\n\nAfter";
    expect(splitStreamingText(text).tail).toBe("After");
  });

  it("keeps a list item's indented continuation and a quote with the block they belong to", () => {
    expect(splitStreamingText("- item\n\n  more of it").settled).toBe("");
    expect(splitStreamingText("> quoted\n\n> still quoted").settled).toBe("");
    expect(splitStreamingText("Para.\n\n1. first").settled).toBe("");
  });

  it("leaves a text without a blank line whole", () => {
    expect(splitStreamingText("just words so far")).toEqual({ settled: "", tail: "just words so far" });
  });
});
