import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from "react";
import { MANAGER } from "../../../shared/agent-name.js";
import { EVERY_AGENT } from "../../../shared/agent-spec.js";
import {
  AGENT_FIELDS,
  agentFormFrom,
  describeProblem,
  emptyAgentForm,
  handoffChoices,
  problemsByField,
  problemsFromError,
  sameForm,
  specFromForm,
  toolChoices,
  withChoice,
  type AgentField,
  type AgentForm as FormState,
  type FormProblem,
} from "../agent-form-model.js";
import { RequestError, type AgentSummary, type SwitchboardApi } from "../api.js";
import { useTools } from "../hooks/use-tools.js";

/** A labelled text field with its hint and, when the server named it, its problem. */
function TextField({
  id,
  label,
  hint,
  problems,
  children,
}: {
  id: string;
  label: string;
  hint: ReactNode;
  problems: readonly string[] | undefined;
  children: ReactNode;
}) {
  return (
    <div className={`field${problems === undefined ? "" : " has-problem"}`}>
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      <p id={`${id}-hint`} className="field-hint">
        {hint}
      </p>
      {children}
      {problems !== undefined && (
        <p id={`${id}-problem`} className="field-problem">
          {problems.join(" ")}
        </p>
      )}
    </div>
  );
}

const describedBy = (id: string, problems: readonly string[] | undefined): string =>
  problems === undefined ? `${id}-hint` : `${id}-hint ${id}-problem`;

/**
 * Adds an agent (POST /api/agents) or changes one (PUT, the whole definition). The server checks
 * the definition; what it refuses is listed above the buttons and marked on the fields it names,
 * and everything typed stays as it was.
 */
export function AgentForm({
  api,
  team,
  editing,
  defaultModel,
  onSaved,
  onCancel,
}: {
  api: SwitchboardApi;
  team: readonly AgentSummary[];
  /** The agent being changed; undefined to add a new one. */
  editing: AgentSummary | undefined;
  defaultModel: string | undefined;
  onSaved: (name: string) => Promise<void>;
  onCancel: () => void;
}) {
  // The form starts from the agent as it was when the form opened; polls do not overwrite typing.
  const [initial] = useState<FormState>(() => (editing === undefined ? emptyAgentForm() : agentFormFrom(editing, defaultModel)));
  const [form, setForm] = useState<FormState>(initial);
  const [problems, setProblems] = useState<readonly FormProblem[]>([]);
  const [saving, setSaving] = useState(false);
  const { tools, mcpServers, error: toolsError } = useTools(api);
  const base = useId();
  const id = (field: AgentField): string => `${base}-${field}`;
  const summaryId = `${base}-problems`;
  const formRef = useRef<HTMLFormElement>(null);
  const summaryRef = useRef<HTMLDivElement>(null);

  const isManager = editing?.name === MANAGER;
  const byField = useMemo(() => problemsByField(problems), [problems]);
  const every = form.handoffs.includes(EVERY_AGENT);
  const handoffOptions = useMemo(() => handoffChoices(team, editing?.name, form.handoffs), [team, editing, form.handoffs]);
  const toolOptions = useMemo(() => toolChoices(tools ?? [], form.tools, mcpServers), [tools, form.tools, mcpServers]);
  const models = useMemo(() => [...new Set(team.map((agent) => agent.model).filter((model) => model !== ""))], [team]);

  // Opening the form (once, on mount) puts the cursor where typing starts: the name, or when
  // editing, the description, since the name cannot change.
  useEffect(() => {
    const target = formRef.current?.querySelector<HTMLElement>(`#${CSS.escape(id(editing === undefined ? "name" : "description"))}`);
    target?.focus();
  }, []);

  /** After a refusal: to the first field it names, or to the list of problems when it names none. */
  const focusFirstProblem = (found: readonly FormProblem[]): void => {
    const first = AGENT_FIELDS.find((field) => found.some((problem) => problem.field === field));
    const element = formRef.current;
    if (first === undefined || element === null) {
      summaryRef.current?.focus();
      return;
    }
    const target =
      first === "tools" || first === "handoffs"
        ? element.querySelector<HTMLElement>(`#${CSS.escape(id(first))} input:not(:disabled)`)
        : element.querySelector<HTMLElement>(`#${CSS.escape(id(first))}`);
    (target ?? summaryRef.current)?.focus();
  };

  /** A changed field's old problem no longer applies; the others stay until the next save. */
  const update = <K extends keyof FormState>(field: K, value: FormState[K]): void => {
    setForm((current) => ({ ...current, [field]: value }));
    setProblems((current) => (current.some((problem) => problem.field === field) ? current.filter((problem) => problem.field !== field) : current));
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (saving) return;
    setSaving(true);
    setProblems([]);
    const spec = specFromForm(form);
    try {
      if (editing === undefined) await api.createAgent(spec);
      else await api.updateAgent(editing.name, spec);
    } catch (caught) {
      const found =
        caught instanceof RequestError
          ? problemsFromError(caught)
          : [{ field: undefined, message: caught instanceof Error ? caught.message : "The agent could not be saved." }];
      setProblems(found);
      setSaving(false);
      // After React has drawn the marks, so the focused field already says what is wrong with it.
      requestAnimationFrame(() => focusFirstProblem(found));
      return;
    }
    await onSaved(spec.name);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>): void => {
    if (event.key !== "Escape") return;
    // Escape leaves an untouched form; with typing in it, only Cancel throws the typing away.
    event.stopPropagation();
    if (sameForm(form, initial)) onCancel();
  };

  const textProps = (field: "name" | "description" | "instructions" | "model" | "temperature" | "maxTokens") => ({
    id: id(field),
    value: form[field],
    "aria-invalid": byField.has(field) || undefined,
    "aria-describedby": describedBy(id(field), byField.get(field)),
    onChange: (event: { target: { value: string } }) => update(field, event.target.value),
  });

  return (
    <form
      ref={formRef}
      className="agent-form"
      data-testid="agent-form"
      aria-labelledby={`${base}-title`}
      noValidate
      onSubmit={(event) => void submit(event)}
      onKeyDown={onKeyDown}
    >
      <h3 id={`${base}-title`} className="agent-form-title">
        {editing === undefined ? "Add an agent" : `Edit ${editing.name}`}
      </h3>

      <TextField
        id={id("name")}
        label="Name"
        problems={byField.get("name")}
        hint={
          editing === undefined
            ? "Lowercase letters, digits and '-', starting with a letter; 2–32 characters, e.g. poet."
            : "An agent keeps its name; to rename it, add a new agent and delete this one."
        }
      >
        <input
          {...textProps("name")}
          className="text-input"
          type="text"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={64}
          readOnly={editing !== undefined}
          aria-required="true"
        />
      </TextField>

      <TextField
        id={id("description")}
        label="Description"
        problems={byField.get("description")}
        hint="The manager routes on this — say what it does and for which requests (10 to 1,000 characters)."
      >
        <textarea {...textProps("description")} className="text-input" rows={3} aria-required="true" />
      </TextField>

      <TextField
        id={id("instructions")}
        label="Instructions"
        problems={byField.get("instructions")}
        hint="What the agent is told before every request: its role, when to use its tools, how to answer (up to 8,000 characters)."
      >
        <textarea {...textProps("instructions")} className="text-input" rows={5} aria-required="true" />
      </TextField>

      <TextField
        id={id("model")}
        label="Model (optional)"
        problems={byField.get("model")}
        hint={defaultModel === undefined ? "Leave blank for the default model." : `Leave blank for the default model (${defaultModel}).`}
      >
        <input
          {...textProps("model")}
          className="text-input"
          type="text"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          placeholder={defaultModel === undefined ? "default model" : `${defaultModel} (default)`}
          list={`${base}-models`}
        />
        <datalist id={`${base}-models`}>
          {models.map((model) => (
            <option key={model} value={model} />
          ))}
        </datalist>
      </TextField>

      <div className="field-row">
        <TextField
          id={id("temperature")}
          label="Temperature (optional)"
          problems={byField.get("temperature")}
          hint="0 to 2: lower answers the same way each time, higher varies more. Blank: the model's default."
        >
          <input {...textProps("temperature")} className="text-input" type="text" inputMode="decimal" autoComplete="off" placeholder="model default" />
        </TextField>
        <TextField
          id={id("maxTokens")}
          label="Most tokens per answer (optional)"
          problems={byField.get("maxTokens")}
          hint="A whole number from 1 to 200,000. Blank: no cap."
        >
          <input {...textProps("maxTokens")} className="text-input" type="text" inputMode="numeric" autoComplete="off" placeholder="no cap" />
        </TextField>
      </div>

      <fieldset
        id={id("tools")}
        className={`field choice-group${byField.has("tools") ? " has-problem" : ""}`}
        aria-describedby={describedBy(id("tools"), byField.get("tools"))}
      >
        <legend className="field-label">Tools</legend>
        <p id={`${id("tools")}-hint`} className="field-hint">
          Functions the agent may call. Give it few, sharp ones; none is fine for an agent that only writes.
        </p>
        {tools === undefined && <p className="muted small">Loading the tools…</p>}
        {toolsError !== undefined && <p className="field-problem">Could not load the tools: {toolsError}</p>}
        {tools !== undefined && toolOptions.length === 0 && toolsError === undefined && <p className="muted small">No agents process offers tools right now.</p>}
        {toolOptions.map((tool) => (
          <div key={tool.name} className={`choice${tool.known ? "" : " is-unknown"}`}>
            <input
              id={`${id("tools")}-${tool.name}`}
              type="checkbox"
              checked={form.tools.includes(tool.name)}
              aria-describedby={tool.note === "" ? undefined : `${id("tools")}-${tool.name}-note`}
              onChange={(event) => update("tools", withChoice(form.tools, tool.name, event.target.checked))}
            />
            <label htmlFor={`${id("tools")}-${tool.name}`} className="choice-name">
              {tool.name}
            </label>
            {tool.note !== "" && (
              <p id={`${id("tools")}-${tool.name}-note`} className="choice-note">
                {tool.note}
              </p>
            )}
          </div>
        ))}
        {byField.has("tools") && (
          <p id={`${id("tools")}-problem`} className="field-problem">
            {byField.get("tools")?.join(" ")}
          </p>
        )}
      </fieldset>

      <fieldset
        id={id("handoffs")}
        className={`field choice-group${byField.has("handoffs") ? " has-problem" : ""}`}
        aria-describedby={describedBy(id("handoffs"), byField.get("handoffs"))}
      >
        <legend className="field-label">Hands off to</legend>
        <p id={`${id("handoffs")}-hint`} className="field-hint">
          Agents it may pass a request to or delegate tasks to. Most specialists need none; the manager hands to every agent.
        </p>
        <div className="choice">
          <input
            id={`${id("handoffs")}-every`}
            type="checkbox"
            checked={every}
            onChange={(event) => update("handoffs", withChoice(form.handoffs, EVERY_AGENT, event.target.checked))}
          />
          <label htmlFor={`${id("handoffs")}-every`} className="choice-name">
            every agent (*)
          </label>
          <p className="choice-note">Every enabled agent, including ones added later.</p>
        </div>
        {handoffOptions.map((target) => (
          <div key={target.name} className={`choice${target.known ? "" : " is-unknown"}`}>
            <input
              id={`${id("handoffs")}-${target.name}`}
              type="checkbox"
              checked={every || form.handoffs.includes(target.name)}
              disabled={every}
              onChange={(event) => update("handoffs", withChoice(form.handoffs, target.name, event.target.checked))}
            />
            <label htmlFor={`${id("handoffs")}-${target.name}`} className="choice-name">
              {target.name}
              {target.note !== "" && <span className="muted"> ({target.note})</span>}
            </label>
          </div>
        ))}
        {byField.has("handoffs") && (
          <p id={`${id("handoffs")}-problem`} className="field-problem">
            {byField.get("handoffs")?.join(" ")}
          </p>
        )}
      </fieldset>

      <div className={`field${byField.has("enabled") ? " has-problem" : ""}`}>
        <div className="choice">
          <input
            id={id("enabled")}
            type="checkbox"
            checked={form.enabled}
            disabled={isManager}
            aria-describedby={describedBy(id("enabled"), byField.get("enabled"))}
            onChange={(event) => update("enabled", event.target.checked)}
          />
          <label htmlFor={id("enabled")} className="choice-name">
            Enabled
          </label>
          <p id={`${id("enabled")}-hint`} className="choice-note">
            {isManager
              ? "The manager is always enabled: every message reaches it first."
              : "A disabled agent keeps its definition but takes no new work, and the manager stops routing to it."}
          </p>
        </div>
        {byField.has("enabled") && (
          <p id={`${id("enabled")}-problem`} className="field-problem">
            {byField.get("enabled")?.join(" ")}
          </p>
        )}
      </div>

      {/* Stays in view at the bottom of a long form, so the reasons sit next to the button just pressed. */}
      <div className="form-footer">
        {problems.length > 0 && (
          <div ref={summaryRef} id={summaryId} className="form-problems" role="alert" tabIndex={-1} data-testid="agent-form-error">
            <p className="form-problems-title">
              {editing === undefined ? "The agent was not added" : "The changes were not saved"}
              {problems.length === 1 ? ":" : `; ${problems.length} things to fix:`}
            </p>
            <ul>
              {problems.map((problem, index) => (
                <li key={index}>{describeProblem(problem)}</li>
              ))}
            </ul>
          </div>
        )}
        <div className="form-actions">
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="submit"
            className="button button-primary"
            data-testid="save-agent"
            disabled={saving}
            aria-describedby={problems.length > 0 ? summaryId : undefined}
          >
            {saving && <span className="spinner" aria-hidden="true" />}
            {saving ? "Saving…" : editing === undefined ? "Add agent" : "Save changes"}
          </button>
        </div>
      </div>
    </form>
  );
}
