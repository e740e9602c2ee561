import { useId, useMemo, useRef, useState, type FormEvent } from "react";
import type { WorkflowInfo } from "../api.js";
import {
  fieldsNamedIn,
  formFromSchema,
  initialValues,
  inputFromValues,
  type FieldProblem,
  type FormField,
  type FormValues,
} from "../workflow-form-model.js";

export type StartResult = { ok: true } | { ok: false; message: string };

function Control({
  field,
  id,
  value,
  invalid,
  describedBy,
  disabled,
  onChange,
}: {
  field: FormField;
  id: string;
  value: string | boolean | undefined;
  invalid: boolean;
  describedBy: string | undefined;
  disabled: boolean;
  onChange: (value: string | boolean) => void;
}) {
  const common = {
    id,
    name: field.name || "input",
    disabled,
    "aria-invalid": invalid || undefined,
    "aria-required": field.required || undefined,
    "aria-describedby": describedBy,
    "data-field": field.name,
  };
  const text = typeof value === "string" ? value : "";
  switch (field.control) {
    case "textarea":
    case "json":
      return (
        <textarea
          {...common}
          className={`text-input${field.control === "json" ? " is-code" : ""}`}
          rows={field.control === "json" ? 3 : 4}
          value={text}
          placeholder={field.placeholder}
          maxLength={field.maxLength}
          onChange={(event) => onChange(event.target.value)}
        />
      );
    case "select":
      return (
        <select {...common} className="text-input" value={text} onChange={(event) => onChange(event.target.value)}>
          {!field.required && <option value="">— none —</option>}
          {field.options.map((option) => (
            <option key={option.key} value={option.key}>
              {option.label}
            </option>
          ))}
        </select>
      );
    case "number":
      return (
        <input
          {...common}
          className="text-input"
          type="number"
          inputMode={field.integer ? "numeric" : "decimal"}
          step={field.integer ? 1 : "any"}
          min={field.minimum}
          max={field.maximum}
          value={text}
          onChange={(event) => onChange(event.target.value)}
        />
      );
    case "checkbox":
      return <input {...common} type="checkbox" checked={value === true} onChange={(event) => onChange(event.target.checked)} />;
    case "text":
      return <input {...common} className="text-input" type="text" value={text} maxLength={field.maxLength} onChange={(event) => onChange(event.target.value)} />;
  }
}

/**
 * The form a workflow's input schema asks for: one control per field, required ones marked and
 * checked here before anything is sent; what the server refuses (400 `invalid_input`) is shown
 * beside the submit button and marked on the fields it names. Nothing typed is lost on a refusal.
 */
export function WorkflowStartForm({ workflow, onStart }: { workflow: WorkflowInfo; onStart: (input: unknown) => Promise<StartResult> }) {
  const form = useMemo(() => formFromSchema(workflow.inputSchema), [workflow.inputSchema]);
  const [values, setValues] = useState<FormValues>(() => initialValues(form, workflow.inputSchema));
  const [problems, setProblems] = useState<readonly FieldProblem[]>([]);
  const [serverProblem, setServerProblem] = useState<{ message: string; fields: string[] } | undefined>();
  const [starting, setStarting] = useState(false);
  const base = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const statusRef = useRef<HTMLDivElement>(null);
  const fieldId = (field: FormField): string => `${base}-field-${field.name || "input"}`;
  const hasRequired = form.fields.some((field) => field.required && field.control !== "checkbox");

  const problemOf = (field: FormField): string | undefined => problems.find((problem) => problem.field === field.name)?.message;

  const focusField = (name: string | undefined): void => {
    const target = name === undefined ? null : formRef.current?.querySelector<HTMLElement>(`[data-field="${CSS.escape(name)}"]`);
    (target ?? statusRef.current)?.focus();
  };

  const submit = async (event: FormEvent<HTMLFormElement>): Promise<void> => {
    event.preventDefault();
    if (starting) return;
    setServerProblem(undefined);
    const result = inputFromValues(form, values);
    if (!result.ok) {
      setProblems(result.problems);
      focusField(result.problems[0]?.field);
      return;
    }
    setProblems([]);
    setStarting(true);
    const outcome = await onStart(result.input);
    setStarting(false);
    if (!outcome.ok) {
      const fields = fieldsNamedIn(outcome.message, form);
      setServerProblem({ message: outcome.message, fields });
      // To the first field the server named, or to its message.
      requestAnimationFrame(() => (fields[0] === undefined ? statusRef.current?.focus() : focusField(fields[0])));
    }
  };

  return (
    <form ref={formRef} className="wf-start-form" data-testid="workflow-start-form" noValidate onSubmit={(event) => void submit(event)}>
      {form.fields.length === 0 && <p className="muted">This workflow takes no input.</p>}
      {hasRequired && (
        <p className="field-hint">
          Fields marked <span className="required-mark">*</span> are required.
        </p>
      )}
      {form.fields.map((field) => {
        const id = fieldId(field);
        const problem = problemOf(field);
        const named = serverProblem?.fields.includes(field.name) ?? false;
        const hintId = field.description === undefined ? undefined : `${id}-hint`;
        const problemId = problem === undefined ? undefined : `${id}-problem`;
        const describedBy = [hintId, problemId, named ? `${base}-server` : undefined].filter(Boolean).join(" ") || undefined;
        const control = (
          <Control
            field={field}
            id={id}
            value={values[field.name]}
            invalid={problem !== undefined || named}
            describedBy={describedBy}
            disabled={starting}
            onChange={(value) => {
              setValues((current) => ({ ...current, [field.name]: value }));
              setProblems((current) => current.filter((item) => item.field !== field.name));
            }}
          />
        );
        return (
          <div key={field.name} className={`field${problem !== undefined || named ? " has-problem" : ""}`} data-testid="workflow-field" data-field-name={field.name}>
            {field.control === "checkbox" ? (
              <div className="choice">
                {control}
                <label htmlFor={id} className="choice-name">
                  {field.label}
                </label>
              </div>
            ) : (
              <label htmlFor={id} className="field-label">
                {field.label}
                {field.required && (
                  <span className="required-mark" aria-hidden="true">
                    {" "}
                    *
                  </span>
                )}
                {field.required && <span className="sr-only"> (required)</span>}
              </label>
            )}
            {hintId !== undefined && (
              <p id={hintId} className="field-hint">
                {field.description}
              </p>
            )}
            {field.control !== "checkbox" && control}
            {problem !== undefined && (
              <p id={problemId} className="field-problem">
                {problem}
              </p>
            )}
          </div>
        );
      })}
      <div className="wf-start-footer">
        <div ref={statusRef} tabIndex={-1} id={`${base}-server`} className={serverProblem === undefined ? "wf-start-status" : "wf-start-status form-problems"} role="alert" data-testid="workflow-start-error">
          {serverProblem !== undefined && (
            <>
              <p className="form-problems-title">The server did not start the run:</p>
              <p className="wf-start-problem">{serverProblem.message}</p>
            </>
          )}
        </div>
        <button type="submit" className="button button-primary" data-testid="start-workflow" disabled={starting}>
          {starting && <span className="spinner" aria-hidden="true" />}
          {starting ? "Starting…" : "Start run"}
        </button>
      </div>
    </form>
  );
}
