import { useEffect, useState, type RefObject } from "react";
import { chatEventSelector, chatRunSelector } from "../chat-jump.js";

/**
 * A request to show a run's place in the chat: the item that draws `eventId`, else the block the
 * chat keeps for the run's work (`data-run-id`, as under a delegation). The nonce makes the same
 * place twice a second jump.
 */
export interface ChatJump {
  eventId: string;
  runId: string;
  nonce: number;
}

const TARGET_CLASS = "is-jump-target";

/**
 * Scrolls the chat to the run's place, marks it and moves the focus there, for
 * as long as the jump stands. Returns whether the item was found. `onAway` is told the reader left
 * the newest messages, so the chat stops following them.
 */
export function useChatJump(scroller: RefObject<HTMLElement | null>, jump: ChatJump | undefined, onAway: () => void): boolean {
  const [found, setFound] = useState(false);
  useEffect(() => {
    const container = scroller.current;
    if (jump === undefined || container === null) {
      setFound(false);
      return;
    }
    // The anchor has no box of its own (display: contents): its first element is the item.
    const target = container.querySelector(chatEventSelector(jump.eventId))?.firstElementChild ?? container.querySelector(chatRunSelector(jump.runId));
    if (!(target instanceof HTMLElement)) {
      setFound(false);
      return;
    }
    onAway();
    target.classList.add(TARGET_CLASS);
    if (!target.hasAttribute("tabindex")) target.tabIndex = -1;
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
    setFound(true);
    return () => target.classList.remove(TARGET_CLASS);
  }, [scroller, jump, onAway]);
  return found;
}
