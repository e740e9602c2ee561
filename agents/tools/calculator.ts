import type { BigNumber, MathJsInstance, MathNode, MathType, Unit } from "mathjs";
import { z } from "zod";
import { defineTool } from "../define-tool.js";
import { ToolError } from "../errors.js";
import { OPERATOR_WORDS } from "../text/operator-words.js";

/**
 * Exact arithmetic for the agents: mathjs with BigNumbers (so 0.1 + 0.2 is 0.3), after turning the
 * way people and models write sums ("17.5% of 2,480", "5 miles to km") into mathjs syntax.
 */

const EXAMPLE = "e.g. '17.5% of 2,480', '(3 + 4) * 2' or '5 miles to km'";
const MAX_EXPRESSION_CHARS = 500;
/** Significant digits shown for results that are not whole numbers: enough, without float noise. */
const SIGNIFICANT_DIGITS = 10;
/** Whole numbers up to this many digits are shown exactly rather than rounded. */
const EXACT_INTEGER_DIGITS = 15;

/** A configured mathjs and its own parser, which the locked-down instance no longer offers. */
interface Mathjs {
  math: MathJsInstance;
  parseExpression: MathJsInstance["parse"];
}

/** Factorials past this take seconds of CPU on BigNumbers and block the worker; no sum needs them. */
const MAX_FACTORIAL = 10_000;

/**
 * Functions that change the instance or evaluate text, overridden as the mathjs security guide
 * advises: the expression comes from a model, so it must not reach them.
 */
const DISABLED_FUNCTIONS = [
  "import",
  "createUnit",
  "reviver",
  "evaluate",
  "parse",
  "compile",
  "simplify",
  "derivative",
  "resolve",
  "rationalize",
  "parser",
] as const;
/** Refused by name before evaluation too, with the instance-level names that cannot be overridden. */
const REFUSED_FUNCTIONS: ReadonlySet<string> = new Set([...DISABLED_FUNCTIONS, "config", "chain"]);

let loading: Promise<Mathjs> | undefined;

/** mathjs takes seconds to load, so it loads on the first calculation rather than when the process starts. */
function loadMathjs(): Promise<Mathjs> {
  return (loading ??= import("mathjs").then(configureMathjs, (error: unknown) => {
    loading = undefined;
    throw error;
  }));
}

function configureMathjs({ all, create }: typeof import("mathjs")): Mathjs {
  const math = create({ ...all }, { number: "BigNumber", precision: 64 });
  // Kept before the lock-down below: the tool's own parser, which the expression cannot reach.
  const parseExpression = math.parse;
  const unboundedFactorial = math.factorial;
  const unboundedGamma = math.gamma;

  /** Wraps a function of one number so a model-written argument cannot tie up the event loop. */
  const bounded = (name: string, compute: (n: number | BigNumber) => number | BigNumber) =>
    math.typed(name, {
      "number | BigNumber": (n: number | BigNumber) => {
        if (math.larger(n, MAX_FACTORIAL)) throw new Error(`${name}() is limited to arguments up to ${MAX_FACTORIAL}`);
        return compute(n);
      },
    });

  math.import(
    {
      factorial: bounded("factorial", (n) => unboundedFactorial(n)),
      gamma: bounded("gamma", (n) => unboundedGamma(n)),
    },
    { override: true },
  );

  // Last, because it disables `import` itself.
  math.import(
    Object.fromEntries(
      DISABLED_FUNCTIONS.map((name) => [
        name,
        () => {
          throw new Error(`${name}() is not available in a calculation`);
        },
      ]),
    ),
    { override: true },
  );
  return { math, parseExpression };
}

/** Node types an arithmetic expression or a unit conversion is made of; anything else is refused. */
const ALLOWED_NODES = new Set(["ConstantNode", "OperatorNode", "ParenthesisNode", "SymbolNode", "FunctionNode", "RelationalNode"]);

/** Unit words mathjs does not know (or knows under another name), mapped to its names. */
const UNIT_WORDS: ReadonlyArray<[RegExp, string]> = [
  [/°\s*C\b|\bdegrees?\s+(?:celsius|centigrade)\b|\bcelsius\b|\bcentigrade\b/gi, "degC"],
  [/°\s*F\b|\bdegrees?\s+fahrenheit\b|\bfahrenheit\b/gi, "degF"],
  [/\bdegrees?\s+kelvin\b/gi, "K"],
  [/\bkilomet(?:er|re)s?\b/gi, "km"],
  [/\bcentimet(?:er|re)s?\b/gi, "cm"],
  [/\bmillimet(?:er|re)s?\b/gi, "mm"],
  [/\bmet(?:er|re)s?\b/gi, "m"],
  [/\blit(?:er|re)s?\b/gi, "L"],
  [/\bmiles\b/gi, "mile"],
  [/\bpounds?\b/gi, "lb"],
  [/\bkph\b|\bkmh\b/gi, "km/h"],
  [/\bmph\b/gi, "mi/h"],
];

/** Leading request words and trailing punctuation that are not part of the expression. */
const PREAMBLE = /^\s*(?:(?:what|how much)\s+(?:is|are|'s)|what's|calculate|compute|convert|evaluate|work out)\s+/i;
const TRAILER = /[\s=?.]+$/;

/** Drops the request words around the expression, keeping the user's own wording for the answer. */
function stripRequestWords(input: string): string {
  return input.replace(PREAMBLE, "").replace(TRAILER, "").trim();
}

/**
 * Removes thousands separators ("2,480" → 2480) only where a comma cannot separate arguments:
 * outside function calls and matrices, so "max(1,200)" keeps its two arguments.
 */
function removeThousandsSeparators(expression: string): string {
  const grouped = /\d{1,3}(?:,\d{3})+(?![\d,])/y;
  const enclosing: Array<"call" | "group" | "matrix"> = [];
  let output = "";
  let index = 0;
  while (index < expression.length) {
    const char = expression[index] ?? "";
    const startsNumber = /\d/.test(char) && !/[\w.]/.test(expression[index - 1] ?? "");
    const inArguments = enclosing.some((kind) => kind !== "group");
    grouped.lastIndex = index;
    const match = startsNumber && !inArguments ? grouped.exec(expression) : null;
    if (match) {
      output += match[0].replaceAll(",", "");
      index += match[0].length;
      continue;
    }
    if (char === "(") enclosing.push(/[A-Za-z_]\s*$/.test(output) ? "call" : "group");
    if (char === "[") enclosing.push("matrix");
    if (char === ")" || char === "]") enclosing.pop();
    output += char;
    index += 1;
  }
  return output;
}

/** "17.5% of 2480" and "15 percent of 80" → a product mathjs evaluates exactly. */
function rewritePercentages(expression: string): string {
  return expression
    .replace(/(\d+(?:\.\d+)?)\s*(?:%|\bper\s?cent\b)\s*of\b/gi, "($1 / 100) *")
    .replace(/(\d+(?:\.\d+)?)\s*\bper\s?cent\b/gi, "$1%");
}

function replaceAll(expression: string, table: ReadonlyArray<[RegExp, string]>): string {
  return table.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), expression);
}

/** Turns natural wording into mathjs syntax; the result still goes through mathjs's own parser. */
export function normalizeExpression(input: string): string {
  const expression = removeThousandsSeparators(stripRequestWords(input));
  return replaceAll(replaceAll(rewritePercentages(expression), OPERATOR_WORDS), UNIT_WORDS).replace(/\s+/g, " ").trim();
}

function refuse(input: string, problem: string): never {
  throw new ToolError(`Could not calculate "${input}": ${problem}. Write one arithmetic expression or unit conversion, ${EXAMPLE}.`);
}

/** Parses with mathjs and refuses every construct that is not plain arithmetic (assignments, strings, …). */
function parseArithmetic({ parseExpression }: Mathjs, input: string, expression: string): MathNode {
  let root: MathNode;
  try {
    root = parseExpression(expression);
  } catch (error) {
    return refuse(input, `mathjs did not understand it (${messageOf(error)})`);
  }
  root.traverse((node) => {
    if (!ALLOWED_NODES.has(node.type)) refuse(input, `${describeNode(node)} is not allowed`);
    if (isConstantNode(node) && typeof node.value === "string") refuse(input, "text in quotes is not allowed");
    if (isSymbolNode(node) && REFUSED_FUNCTIONS.has(node.name)) refuse(input, `${node.name}() is not available`);
  });
  return root;
}

function describeNode(node: MathNode): string {
  const names: Record<string, string> = {
    AssignmentNode: "assigning a variable",
    FunctionAssignmentNode: "defining a function",
    BlockNode: "more than one expression",
    AccessorNode: "property access",
    IndexNode: "indexing",
    ArrayNode: "a matrix",
    ObjectNode: "an object",
    RangeNode: "a range",
    ConditionalNode: "a conditional",
  };
  return names[node.type] ?? node.type;
}

function isConstantNode(node: MathNode): node is MathNode & { value: unknown } {
  return node.type === "ConstantNode";
}

/** Function names are SymbolNodes too, so this catches `import(…)` as well as a bare `import`. */
function isSymbolNode(node: MathNode): node is MathNode & { name: string } {
  return node.type === "SymbolNode";
}

/** mathjs says "Undefined symbol foo"; the model needs to know what kind of word was expected. */
function explainEvaluationError(message: string): string {
  const undefinedSymbol = /^Undefined symbol (\S+)/.exec(message);
  if (undefinedSymbol) return `"${undefinedSymbol[1]}" is not a number, unit, constant or function mathjs knows`;
  return message;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isUnit(math: MathJsInstance, value: unknown): value is Unit {
  return math.isUnit(value);
}

/** A whole number is shown exactly; anything else to 10 significant digits, so no float noise. */
function formatValue(math: MathJsInstance, value: MathType | boolean): string {
  if (typeof value === "boolean") return String(value);
  if (isUnit(math, value)) return math.format(value, { precision: SIGNIFICANT_DIGITS });
  if (math.isBigNumber(value) && value.isInteger() && value.abs().lt(10 ** EXACT_INTEGER_DIGITS)) return value.toFixed(0);
  return math.format(value, { notation: "auto", precision: SIGNIFICANT_DIGITS, lowerExp: -7, upperExp: EXACT_INTEGER_DIGITS });
}

function isResult(math: MathJsInstance, value: unknown): value is MathType | boolean {
  return (
    typeof value === "boolean" ||
    typeof value === "number" ||
    math.isBigNumber(value) ||
    math.isFraction(value) ||
    math.isComplex(value) ||
    isUnit(math, value)
  );
}

function evaluateTree(math: MathJsInstance, input: string, root: MathNode): MathType | boolean {
  let value: unknown;
  try {
    value = root.compile().evaluate({});
  } catch (error) {
    return refuse(input, explainEvaluationError(messageOf(error)));
  }
  if (!isResult(math, value)) refuse(input, "the result is not a number or a quantity");
  if (math.isBigNumber(value) && !value.isFinite()) refuse(input, "the result is not a finite number");
  return value;
}

/** For a conversion, the answer shows the quantity as the user wrote it: "5 miles = 8.04672 km". */
function conversionSource(display: string): string {
  const match = /^(.*)\s+(?:to|in|into|as)\s+\S.*$/i.exec(display);
  return match?.[1]?.trim() || display;
}

function isConversion(root: MathNode): boolean {
  return root.type === "OperatorNode" && (root as MathNode & { fn: string }).fn === "to";
}

/** Friendlier unit names for people; `result` keeps mathjs's names so it can be calculated with again. */
function humanizeUnits(text: string): string {
  return text.replace(/\bdegC\b/g, "°C").replace(/\bdegF\b/g, "°F");
}

export interface Calculation {
  expression: string;
  result: string;
  answer: string;
}

/** Evaluates one expression or conversion; throws `ToolError` with what went wrong and an example. */
export async function calculate(input: string): Promise<Calculation> {
  const display = stripRequestWords(input);
  if (display === "") refuse(input, "there is no expression");
  const mathjs = await loadMathjs();
  const root = parseArithmetic(mathjs, input, normalizeExpression(input));
  const result = formatValue(mathjs.math, evaluateTree(mathjs.math, input, root));
  const left = isConversion(root) ? conversionSource(display) : display;
  return { expression: input, result, answer: `${left} = ${humanizeUnits(result)}` };
}

export const calculatorTool = defineTool({
  name: "calculate",
  description:
    "Exact arithmetic, percentages and unit conversion. Use it for any sum, percentage or conversion instead of working it out yourself.",
  parameters: z.object({
    expression: z
      .string()
      .min(1)
      .max(MAX_EXPRESSION_CHARS)
      .describe(
        "an arithmetic expression or unit conversion, e.g. '17.5% of 2,480', '(3 + 4) * 2', '5 miles to km', '100 degF to degC'",
      ),
  }),
  execute: ({ expression }) => calculate(expression),
});
