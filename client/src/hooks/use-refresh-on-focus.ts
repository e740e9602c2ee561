import { useEffect } from "react";

/** Loads now, and again whenever the window regains focus: data another tab or user may have changed. */
export function useRefreshOnFocus(refresh: () => Promise<void>): void {
  useEffect(() => {
    void refresh();
    const onFocus = (): void => void refresh();
    window.addEventListener("focus", onFocus);
    return () => window.removeEventListener("focus", onFocus);
  }, [refresh]);
}
