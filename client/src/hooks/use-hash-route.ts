import { useCallback, useEffect, useState } from "react";
import { parseRoute, routeHref, sameRoute, type Route } from "../route.js";

export function conversationHref(conversationId: string): string {
  return routeHref({ kind: "conversation", conversationId });
}

export type Navigate = (route: Route, options?: { replace?: boolean }) => void;

/** The page's place (see route.ts), kept in the URL hash and followed as it changes. */
export function useHashRoute(): [Route, Navigate] {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));

  useEffect(() => {
    const onChange = (): void => setRoute((current) => {
      const next = parseRoute(window.location.hash);
      return sameRoute(current, next) ? current : next;
    });
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);

  const navigate = useCallback<Navigate>((next, options) => {
    const hash = routeHref(next);
    if (window.location.hash !== hash) {
      // Opening a conversation is a step the back button can undo; a default choice is not.
      const url = `${window.location.pathname}${window.location.search}${hash}`;
      if (options?.replace) window.history.replaceState(window.history.state, "", url);
      else window.history.pushState(window.history.state, "", url);
    }
    setRoute((current) => (sameRoute(current, next) ? current : next));
  }, []);

  return [route, navigate];
}
