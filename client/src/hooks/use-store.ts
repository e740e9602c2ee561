import { useSyncExternalStore } from "react";
import type { Store } from "../store.js";

const noop = (): void => {};
const never = (): (() => void) => noop;

/** The store's current state, re-rendering on change; `fallback` when there is no store. */
export function useStoreState<S, A, F>(store: Store<S, A> | undefined, fallback: F): S | F {
  return useSyncExternalStore<S | F>(
    store ? store.subscribe : never,
    store ? store.getState : () => fallback,
  );
}
