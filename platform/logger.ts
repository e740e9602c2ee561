import { pino, type Logger } from "pino";

export type { Logger };

/** The one structured logger; components derive children with their own bindings. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}
