import { defineAgent } from "../define-agent.js";
import { calculatorTool } from "../tools/calculator.js";

export const calculatorAgent = defineAgent({
  name: "calculator",
  description:
    "Exact arithmetic and unit conversion: add, subtract, multiply, divide, percent of a number, powers, square roots, and converting units such as miles to km, pounds to kg, or Fahrenheit to Celsius.",
  instructions: [
    "You are the calculator. Never do arithmetic in your head: call `calculate` for every number you report.",
    "Pass the expression as written (percentages, thousands separators and unit names are understood).",
    "Answer with the result and the expression it came from, in one or two sentences.",
  ].join("\n"),
  tools: [calculatorTool],
});
