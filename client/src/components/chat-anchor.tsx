import type { ReactNode } from "react";
import { chatEventsAttribute } from "../chat-jump.js";
import type { ChatItem } from "../chat-items.js";

/** Marks a chat item with the ids of the events it draws, so the run trace can find it; takes no room. */
export function ChatAnchor({ item, children }: { item: ChatItem; children: ReactNode }) {
  return (
    <div className="chat-anchor" data-chat-events={chatEventsAttribute(item)}>
      {children}
    </div>
  );
}
