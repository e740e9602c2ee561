import { describe, expect, it } from "vitest";
import { createStore, type FrameScheduler } from "../src/store.js";

type Action = { type: "delta"; text: string } | { type: "live"; text: string };

const reducer = (state: string, action: Action): string => state + action.text;

/** Frames that come when the test says so. */
function manualFrames(): FrameScheduler & { tick(): void; waiting(): number } {
  const callbacks = new Map<number, () => void>();
  let next = 1;
  return {
    request(callback) {
      callbacks.set(next, callback);
      return next++;
    },
    cancel(handle) {
      callbacks.delete(handle);
    },
    tick() {
      const due = [...callbacks.values()];
      callbacks.clear();
      for (const callback of due) callback();
    },
    waiting: () => callbacks.size,
  };
}

describe("createStore", () => {
  it("notifies once a frame for coalesced actions, with the state already current", () => {
    const frames = manualFrames();
    const store = createStore(reducer, "", { coalesce: (action) => action.type === "delta", frames });
    const seen: string[] = [];
    store.subscribe(() => seen.push(store.getState()));
    store.dispatch({ type: "delta", text: "a" });
    store.dispatch({ type: "delta", text: "b" });
    store.dispatch({ type: "delta", text: "c" });
    expect(store.getState()).toBe("abc");
    expect(seen).toEqual([]);
    expect(frames.waiting()).toBe(1);
    frames.tick();
    expect(seen).toEqual(["abc"]);
    frames.tick();
    expect(seen).toEqual(["abc"]);
  });

  it("notifies other actions at once, taking the pending frame's notice with them", () => {
    const frames = manualFrames();
    const store = createStore(reducer, "", { coalesce: (action) => action.type === "delta", frames });
    const seen: string[] = [];
    store.subscribe(() => seen.push(store.getState()));
    store.dispatch({ type: "delta", text: "a" });
    store.dispatch({ type: "live", text: "!" });
    expect(seen).toEqual(["a!"]);
    expect(frames.waiting()).toBe(0);
  });

  it("notifies at once where there are no frames (outside a browser)", () => {
    const store = createStore(reducer, "", { coalesce: (action) => action.type === "delta" });
    const seen: string[] = [];
    store.subscribe(() => seen.push(store.getState()));
    store.dispatch({ type: "delta", text: "a" });
    expect(seen).toEqual(["a"]);
  });
});
