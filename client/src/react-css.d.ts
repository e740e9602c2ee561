import "react";

declare module "react" {
  interface CSSProperties {
    /** An agent's hue (see agent-style.ts); the stylesheet derives its colours from it. */
    "--agent-hue"?: number | string;
  }
}
