import { createRequire } from "node:module";
import { SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import type { Telemetry } from "bullmq";

/**
 * OpenTelemetry traces of runs, model calls and queue hops. Spans are made through
 * `@opentelemetry/api`, which does nothing until an SDK is registered: the entry points in bin/
 * register one (bin/tracing.ts) only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, so tracing costs
 * nothing when it is off. See docs/operations.md.
 */
const tracer = trace.getTracer("switchboard");

let started = false;
let shutdown: (() => Promise<void>) | undefined;
let telemetry: Telemetry | undefined;

/** Called by the entry point that registered an SDK, with how to flush and stop it. */
export function tracingStarted(stop: () => Promise<void>): void {
  started = true;
  shutdown = stop;
}

/** True when this process exports traces. */
export function tracingEnabled(): boolean {
  return started;
}

/** Flushes the spans not exported yet and stops the SDK; nothing when tracing is off. */
export async function shutdownTracing(): Promise<void> {
  const stop = shutdown;
  shutdown = undefined;
  await stop?.();
}

/**
 * BullMQ's telemetry (`bullmq-otel`) as options for a Queue, Worker or FlowProducer: with it,
 * adding a job records a producer span and carries the trace context in the job, and the worker's
 * span for the job continues that trace (the queue hop). Empty when tracing is off, so BullMQ does
 * no telemetry work at all.
 */
export function bullmqTelemetry(): { telemetry?: Telemetry } {
  if (!started) return {};
  if (!telemetry) {
    // Loaded only with tracing on (it costs a fraction of a second at start otherwise).
    const { BullMQOtel } = createRequire(import.meta.url)("bullmq-otel") as typeof import("bullmq-otel");
    telemetry = new BullMQOtel({ tracerName: "bullmq" });
  }
  return { telemetry };
}

/**
 * Runs `work` in a new span, the current one while it runs (spans started inside are its
 * children). An error ends the span with an error status, unless `expected` says it is control
 * flow (a job that goes on waiting).
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
  expected: (error: unknown) => boolean = () => false,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      if (!expected(error)) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      }
      throw error;
    } finally {
      span.end();
    }
  });
}
