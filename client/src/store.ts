/**
 * A minimal external store: a reducer's state outside React, so the socket handlers can read the
 * current cursor and dispatch without waiting for a render, and React subscribes with
 * useSyncExternalStore.
 */
export interface Store<S, A> {
  getState(): S;
  dispatch(action: A): void;
  subscribe(listener: () => void): () => void;
}

/** How the store waits for the next frame; the browser's requestAnimationFrame by default. */
export interface FrameScheduler {
  request(callback: () => void): number;
  cancel(handle: number): void;
}

export interface StoreOptions<A> {
  /**
   * Actions whose subscribers hear of them at the next animation frame, once for all that came in
   * it (issue #11: an answer streams in pieces faster than frames, and each render costs the page
   * style and layout). The state changes at once; any other action notifies at once, those pending
   * included.
   */
  coalesce?: (action: A) => boolean;
  frames?: FrameScheduler;
}

const browserFrames = (): FrameScheduler | undefined =>
  typeof requestAnimationFrame === "function"
    ? { request: (callback) => requestAnimationFrame(callback), cancel: (handle) => cancelAnimationFrame(handle) }
    : undefined;

export function createStore<S, A>(reducer: (state: S, action: A) => S, initial: S, options: StoreOptions<A> = {}): Store<S, A> {
  let state = initial;
  const listeners = new Set<() => void>();
  const frames = options.frames ?? browserFrames();
  let pending: number | undefined;
  const notify = (): void => {
    if (pending !== undefined) frames?.cancel(pending);
    pending = undefined;
    for (const listener of [...listeners]) listener();
  };
  return {
    getState: () => state,
    dispatch(action) {
      const next = reducer(state, action);
      if (next === state) return;
      state = next;
      if (frames !== undefined && options.coalesce?.(action) === true) {
        pending ??= frames.request(notify);
        return;
      }
      notify();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
