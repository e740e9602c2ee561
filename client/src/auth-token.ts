/**
 * The access token: taken from the link `npm start` prints (`/?token=…`), kept in localStorage so
 * a reload or a bookmark without it still works, and removed from the address bar so it does not
 * linger in history, bookmarks or screenshots.
 */
export const TOKEN_STORAGE_KEY = "switchboard.token";

/** localStorage throws in some privacy modes; the token then lives only as long as the page. */
function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

export function loadToken(): string | null {
  try {
    const token = storage()?.getItem(TOKEN_STORAGE_KEY)?.trim();
    return token ? token : null;
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    storage()?.setItem(TOKEN_STORAGE_KEY, token);
  } catch {
    // Storage full or disabled: the token still works for this page.
  }
}

export function clearToken(): void {
  try {
    storage()?.removeItem(TOKEN_STORAGE_KEY);
  } catch {
    // Nothing stored, nothing to clear.
  }
}

/** Reads `?token=` (stores it and strips it from the URL), else the stored token. */
export function takeInitialToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get("token")?.trim();
  if (url.searchParams.has("token")) {
    url.searchParams.delete("token");
    window.history.replaceState(window.history.state, "", `${url.pathname}${url.search}${url.hash}`);
  }
  if (fromUrl) {
    saveToken(fromUrl);
    return fromUrl;
  }
  return loadToken();
}
