import { useCallback, useRef, useState } from "react";
import { RequestError } from "../api.js";
import { useRefreshOnFocus } from "./use-refresh-on-focus.js";

export interface LatestListState<T> {
  items: readonly T[];
  /** The last failure's message; cleared by the next answer. */
  error: string | undefined;
  /** Still waiting for the first answer. */
  loading: boolean;
  refresh: () => Promise<void>;
}

/** Same content: JSON is enough for the plain records the REST lists return. */
export function sameContent<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A list read from one REST call, loaded now and again on focus while `active`, and by `refresh()`.
 * Only the newest request may set the list, so a poll sent before a save cannot answer after it.
 * An answer that is `same` as the list keeps the previous array, so nothing re-draws for it. A 401
 * is left to the conversation list, which reports it; any other failure keeps its message in
 * `error` (or `failureText` when it has none).
 *
 * `load` and `same` should be stable (useCallback, module functions): a new `load` loads again.
 */
export function useLatestList<T>(
  load: () => Promise<readonly T[]>,
  same: (a: readonly T[], b: readonly T[]) => boolean,
  failureText: string,
  active = true,
): LatestListState<T> {
  const [items, setItems] = useState<readonly T[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const latest = useRef(0);

  const refresh = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      const list = await load();
      if (ticket !== latest.current) return;
      setItems((previous) => (same(previous, list) ? previous : list));
      setError(undefined);
    } catch (caught) {
      if (ticket !== latest.current) return;
      if (caught instanceof RequestError && caught.unauthorized) return; // the conversation list reports it
      setError(caught instanceof Error ? caught.message : failureText);
    } finally {
      if (ticket === latest.current) setLoading(false);
    }
  }, [load, same, failureText]);

  useRefreshOnFocus(refresh, active);

  return { items, error, loading, refresh };
}
