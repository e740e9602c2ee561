import { useRef, useSyncExternalStore } from "react";
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

/**
 * A part of the store's state, re-rendering only when that part changes: `select` reads it, and
 * while `same` says the new part equals the last one the last one is kept (so is the render).
 */
export function useStoreSelection<S, A, T, F>(
  store: Store<S, A> | undefined,
  select: (state: S) => T,
  same: (a: T, b: T) => boolean,
  fallback: F,
): T | F {
  const last = useRef<{ store: Store<S, A>; state: S; value: T } | undefined>(undefined);
  const read = (): T | F => {
    if (store === undefined) return fallback;
    const state = store.getState();
    const previous = last.current;
    if (previous !== undefined && previous.store === store && previous.state === state) return previous.value;
    const selected = select(state);
    const value = previous !== undefined && previous.store === store && same(previous.value, selected) ? previous.value : selected;
    last.current = { store, state, value };
    return value;
  };
  return useSyncExternalStore<T | F>(store ? store.subscribe : never, read);
}
