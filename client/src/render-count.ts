/**
 * Render counts for the browser test of issue #11 (test/e2e/render-cost.test.ts): when the page
 * holds `window.__switchboardRenders` (the test sets it before the page loads), each counted
 * component adds one to its name on every render, so the test can see what re-renders while an
 * answer streams. Without it, counting is one property read.
 */
type Counts = Record<string, number>;

export function countRender(name: string): void {
  const counts = (globalThis as { __switchboardRenders?: Counts }).__switchboardRenders;
  if (counts !== undefined) counts[name] = (counts[name] ?? 0) + 1;
}
