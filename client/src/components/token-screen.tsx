import { useId, useState, type FormEvent } from "react";

/** Shown when the page has no access token (or the server refused it). */
export function TokenScreen({ error, onSubmit }: { error: string | undefined; onSubmit: (token: string) => void }) {
  const [value, setValue] = useState("");
  const [visible, setVisible] = useState(false);
  const inputId = useId();
  const helpId = useId();

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const token = value.trim();
    if (token !== "") onSubmit(token);
  };

  return (
    <main className="token-screen">
      <form className="token-card" onSubmit={submit} data-testid="token-screen">
        <h1 className="brand-large">
          <span className="brand-mark" aria-hidden="true" />
          Switchboard
        </h1>
        <p>This page needs the access token before it can show your conversations.</p>
        <p id={helpId} className="muted">
          <code>npm start</code> prints a link that carries it (<code>http://127.0.0.1:3000/?token=…</code>): open that link, or paste the
          token here. It is the <code>SWITCHBOARD_TOKEN</code> setting if you set one.
        </p>
        {error !== undefined && (
          <p className="inline-error" role="alert">
            {error}
          </p>
        )}
        <label htmlFor={inputId} className="field-label">
          Access token
        </label>
        <div className="token-field">
          <input
            id={inputId}
            data-testid="token-input"
            type={visible ? "text" : "password"}
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            value={value}
            aria-describedby={helpId}
            onChange={(event) => setValue(event.target.value)}
            autoFocus
          />
          <button type="button" className="button button-quiet" aria-pressed={visible} onClick={() => setVisible((shown) => !shown)}>
            {visible ? "Hide" : "Show"}
          </button>
        </div>
        <button type="submit" className="button button-primary" disabled={value.trim() === ""}>
          Continue
        </button>
      </form>
    </main>
  );
}
