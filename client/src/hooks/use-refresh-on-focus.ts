import { useEffect } from "react";

/**
 * Loads now, and again whenever the window regains focus: data another tab or user may have changed.
 * While `enabled` is false it neither loads nor listens; turning it on loads at once.
 */
export function useRefreshOnFocus(refresh: () => Promise<void>, enabled = true): void {
  useEffect(() => {
    if (!enabled) return;
    void refresh();
    const onFocus = (): void => void refresh();
    window.addEventListener("focus", onFocus);
    return () => window.removeEventListener("focus", onFocus);
  }, [enabled, refresh]);
}
