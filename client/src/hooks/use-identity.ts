import { useEffect, useState } from "react";
import type { Identity, SwitchboardApi } from "../api.js";

/**
 * Who the token belongs to (GET /api/me), so the page can offer team changes only to the admin.
 * Undefined while asking. A server that cannot say is treated as admin: it still refuses (403)
 * what the token may not do, and the panel shows that refusal.
 */
export function useIdentity(api: SwitchboardApi): Identity | undefined {
  const [identity, setIdentity] = useState<Identity | undefined>();
  useEffect(() => {
    const controller = new AbortController();
    api.me(controller.signal).then(setIdentity, (caught: unknown) => {
      if (caught instanceof DOMException && caught.name === "AbortError") return;
      setIdentity({ user: "", admin: true });
    });
    return () => controller.abort();
  }, [api]);
  return identity;
}
