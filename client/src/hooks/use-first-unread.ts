import { useCallback, useEffect, useLayoutEffect, useRef, type RefObject } from "react";
import type { Event } from "../../../shared/events.js";
import { compareStreamIds } from "../../../shared/stream-id.js";
import type { ChatItem } from "../chat-items.js";
import { lastSeen, markSeen } from "../read-marks.js";

const MARK_CLASS = "is-first-unread";

/** The first answer of an agent after `seen`, among the chat's own messages. */
export function firstUnreadId(items: readonly ChatItem[], seen: string | undefined): string | undefined {
  if (seen === undefined) return undefined;
  const first = items.find((item) => item.kind === "message" && item.event.type === "message.agent" && compareStreamIds(item.key, seen) > 0);
  return first?.key;
}

/**
 * Opening a conversation with answers the reader has not seen lands at the first of them (marked
 * "New"), instead of at the newest. What counts as seen: the newest event while the reader follows
 * the end of the conversation (`following()`); `noteSeen` is called when they scroll back there.
 * `onAway` is told the reader was put above the newest messages, so the chat stops following.
 */
export function useFirstUnread({
  conversationId,
  synced,
  items,
  events,
  scroller,
  following,
  onAway,
}: {
  conversationId: string | undefined;
  /** Joined and caught up: what came while the conversation was closed is in `items`. */
  synced: boolean;
  items: readonly ChatItem[];
  events: readonly Event[] | undefined;
  scroller: RefObject<HTMLElement | null>;
  following: () => boolean;
  onAway: () => void;
}): { noteSeen: () => void } {
  /** The conversation whose opening was handled: each opening lands once. */
  const opened = useRef<string | undefined>(undefined);

  // A layout effect, before the chat follows its newest item in the same commit.
  useLayoutEffect(() => {
    if (conversationId === undefined || !synced || opened.current === conversationId) return;
    opened.current = conversationId;
    const id = firstUnreadId(items, lastSeen(conversationId));
    const target = id === undefined ? null : (scroller.current?.querySelector(`[data-event-id="${id}"]`) ?? null);
    if (!(target instanceof HTMLElement)) return;
    onAway();
    target.classList.add(MARK_CLASS);
    target.scrollIntoView({ block: "start" });
  }, [conversationId, synced, items, scroller, onAway]);

  // The "New" mark goes with the conversation.
  useEffect(
    () => () => {
      scroller.current?.querySelectorAll(`.${MARK_CLASS}`).forEach((element) => element.classList.remove(MARK_CLASS));
    },
    [conversationId, scroller],
  );

  const noteSeen = useCallback(() => {
    const newest = events?.at(-1);
    if (conversationId !== undefined && opened.current === conversationId && newest !== undefined) markSeen(conversationId, newest.id);
  }, [conversationId, events]);

  useEffect(() => {
    if (following()) noteSeen();
  }, [noteSeen, following]);

  return { noteSeen };
}
