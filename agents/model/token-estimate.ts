/** About four characters a token: a stable estimate for budgets and servers that report no usage, not a tokenizer. */
export function estimateTokens(value: unknown): number {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return Math.ceil(text.length / 4);
}
