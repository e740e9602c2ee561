/** How the conversation list groups its entries by the day each conversation started. */

export interface DateGroup<T> {
  /** "Today", "Yesterday", "Previous 7 days", or a month such as "November 2026". */
  label: string;
  items: T[];
}

const monthLabel = new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric" });

/** Midnight at the start of the local day `time` falls in. */
function startOfDay(time: number): number {
  const date = new Date(time);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

/** Midnight `days` local days before `dayStart` (calendar days: daylight saving changes do not shift it). */
function daysBefore(dayStart: number, days: number): number {
  const date = new Date(dayStart);
  date.setDate(date.getDate() - days);
  return date.getTime();
}

/**
 * Groups items, newest first as given, by local calendar day of `createdAt`: Today, Yesterday,
 * Previous 7 days (the 7 days before yesterday), then one group per month. An item dated in the
 * future (a clock ahead of this one) counts as today; one with no readable date goes last, under
 * "Older". Groups keep the items' order and leave out the empty ones.
 */
export function groupByDate<T extends { createdAt: string }>(items: readonly T[], now: number): DateGroup<T>[] {
  const today = startOfDay(now);
  const yesterday = daysBefore(today, 1);
  const weekAgo = daysBefore(today, 8);
  const groups = new Map<string, T[]>();
  const add = (label: string, item: T) => {
    const group = groups.get(label);
    if (group) group.push(item);
    else groups.set(label, [item]);
  };
  const undated: T[] = [];
  for (const item of items) {
    const time = Date.parse(item.createdAt);
    if (Number.isNaN(time)) undated.push(item);
    else if (time >= today) add("Today", item);
    else if (time >= yesterday) add("Yesterday", item);
    else if (time >= weekAgo) add("Previous 7 days", item);
    else add(monthLabel.format(time), item);
  }
  const result = [...groups].map(([label, grouped]) => ({ label, items: grouped }));
  return undated.length > 0 ? [...result, { label: "Older", items: undated }] : result;
}
