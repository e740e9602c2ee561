import type { Budget } from "../../../shared/events.js";
import { describeMeter } from "../workflow-text.js";

/** Model calls a run has used against the bound it stated before it ran: "4 of at most 9 model calls". */
export function BudgetMeter({ used, budget }: { used: number; budget: Budget | undefined }) {
  const text = describeMeter(used, budget);
  const max = budget !== undefined && budget.unboundedSteps.length === 0 ? budget.modelCalls.max : undefined;
  const share = max === undefined || max === 0 ? (used > 0 ? 1 : 0) : Math.min(1, used / max);
  const over = max !== undefined && used > max;
  return (
    <div className={`budget-meter${over ? " is-over" : ""}`} data-testid="budget-meter" data-used={used} data-max={max}>
      <div
        className="budget-meter-bar"
        role="meter"
        aria-label="Model calls used"
        aria-valuemin={0}
        aria-valuemax={max ?? Math.max(used, 1)}
        aria-valuenow={used}
        aria-valuetext={text}
      >
        <span className="budget-meter-fill" style={{ width: `${(share * 100).toFixed(1)}%` }} />
        {max !== undefined &&
          max > 1 &&
          max <= 40 &&
          Array.from({ length: max - 1 }, (_, index) => (
            <span key={index} className="budget-meter-tick" style={{ left: `${(((index + 1) / max) * 100).toFixed(2)}%` }} aria-hidden="true" />
          ))}
      </div>
      <span className="budget-meter-text">{text}</span>
    </div>
  );
}
