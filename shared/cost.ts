/** The offline model's name: the default model when no model service is configured (config.ts). */
export const OFFLINE_MODEL = "offline";

/**
 * Costs are small fractions of a dollar; four decimals keep a single cheap call visible. Work done
 * on the offline model costs nothing, and says so rather than "$0.0000": pass the model it ran on,
 * or for a total the models of every run in it (all of them must be the offline model).
 */
export function formatCost(usd: number, models?: string | Iterable<string | undefined>): string {
  if (usd === 0 && models !== undefined) {
    const list = typeof models === "string" ? [models] : [...models];
    if (list.length > 0 && list.every((model) => model === OFFLINE_MODEL)) return "free (offline model)";
  }
  return `$${usd.toFixed(4)}`;
}
