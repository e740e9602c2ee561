import { useCallback, useEffect, useState } from "react";

/** The open conversation lives in the URL hash (`#/c/<id>`), so reloads and links keep it. */
const PATTERN = /^#\/c\/([a-zA-Z0-9_-]{1,64})$/;

function read(): string | undefined {
  return PATTERN.exec(window.location.hash)?.[1];
}

export function conversationHref(conversationId: string): string {
  return `#/c/${conversationId}`;
}

export type SelectConversation = (conversationId: string | undefined, options?: { replace?: boolean }) => void;

export function useHashRoute(): [string | undefined, SelectConversation] {
  const [selected, setSelected] = useState<string | undefined>(read);

  useEffect(() => {
    const onChange = (): void => setSelected(read());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);

  const select = useCallback<SelectConversation>((conversationId, options) => {
    const hash = conversationId === undefined ? "" : conversationHref(conversationId);
    if (window.location.hash !== hash) {
      // Opening a conversation is a step the back button can undo; a default choice is not.
      const url = `${window.location.pathname}${window.location.search}${hash}`;
      if (options?.replace) window.history.replaceState(window.history.state, "", url);
      else window.history.pushState(window.history.state, "", url);
    }
    setSelected(conversationId);
  }, []);

  return [selected, select];
}
