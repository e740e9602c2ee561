import { useId, useState, type ReactNode } from "react";

/** A titled section of the side panel that folds away with its heading button. */
export function PanelSection({ title, summary, children }: { title: string; summary?: ReactNode; children: ReactNode }) {
  const [open, setOpen] = useState(true);
  const bodyId = useId();
  return (
    <section className={`panel${open ? " is-open" : ""}`}>
      <h2 className="panel-heading">
        <button type="button" className="panel-toggle" aria-expanded={open} aria-controls={bodyId} onClick={() => setOpen((value) => !value)}>
          <span className="chevron" aria-hidden="true" />
          <span>{title}</span>
          {summary !== undefined && <span className="panel-summary">{summary}</span>}
        </button>
      </h2>
      <div id={bodyId} className="panel-body" hidden={!open}>
        {children}
      </div>
    </section>
  );
}
