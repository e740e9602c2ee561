import type { CSSProperties } from "react";
import { agentHue, agentInitials } from "../agent-style.js";

export function agentStyle(name: string): CSSProperties {
  return { "--agent-hue": agentHue(name) };
}

/** Round initials avatar in the agent's colour; decorative, the name is always written next to it. */
export function AgentAvatar({ name, size = "md" }: { name: string; size?: "sm" | "md" }) {
  return (
    <span className={`avatar avatar-${size}`} style={agentStyle(name)} aria-hidden="true">
      {agentInitials(name)}
    </span>
  );
}

/** An agent's name with its colour dot, for inline rows (handoffs, runs, tool cards). */
export function AgentChip({ name }: { name: string }) {
  return (
    <span className="agent-chip" style={agentStyle(name)}>
      <span className="agent-dot" aria-hidden="true" />
      {name}
    </span>
  );
}
