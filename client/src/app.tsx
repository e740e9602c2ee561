import { useCallback, useState } from "react";
import { clearToken, saveToken, takeInitialToken } from "./auth-token.js";
import { TokenScreen } from "./components/token-screen.js";
import { Workspace } from "./components/workspace.js";

/** Asks for the access token when there is none (or it was refused); otherwise the workspace. */
export function App() {
  const [token, setToken] = useState<string | null>(takeInitialToken);
  const [error, setError] = useState<string | undefined>();

  const onUnauthorized = useCallback((message: string) => {
    clearToken();
    setError(`The server did not accept the access token (${message}). Open the link npm start printed, or paste the token again.`);
    setToken(null);
  }, []);

  const onForgetToken = useCallback(() => {
    clearToken();
    setError(undefined);
    setToken(null);
  }, []);

  if (token === null) {
    return (
      <TokenScreen
        error={error}
        onSubmit={(value) => {
          saveToken(value);
          setError(undefined);
          setToken(value);
        }}
      />
    );
  }
  // Keyed by the token: a new token means a new socket, new stores, nothing carried over.
  return <Workspace key={token} token={token} onUnauthorized={onUnauthorized} onForgetToken={onForgetToken} />;
}
