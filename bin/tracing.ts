import { createRequire } from "node:module";
import { hostname } from "node:os";
import path from "node:path";
import dotenv from "dotenv";
import { tracingStarted } from "../platform/tracing.js";

/**
 * Imported first by every entry point (`import "./tracing.js"`), so it runs before anything else
 * of Switchboard loads. When `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
 * is set, in the environment or in `.env`, it registers the OpenTelemetry SDK with a batching
 * OTLP/HTTP (JSON) exporter; otherwise it loads nothing more, and every span is a no-op.
 *
 * The exporter reads the standard variables itself: `OTEL_EXPORTER_OTLP_HEADERS`,
 * `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_SERVICE_NAME` (default
 * `switchboard`), `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`, … See docs/operations.md.
 */
dotenv.config({ quiet: true });

const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
if (endpoint && process.env.OTEL_SDK_DISABLED !== "true") startSdk();

function startSdk(): void {
  // Loaded only when configured: with tracing off, none of the SDK is loaded.
  const require = createRequire(import.meta.url);
  const { NodeTracerProvider, BatchSpanProcessor } = require("@opentelemetry/sdk-trace-node") as typeof import("@opentelemetry/sdk-trace-node");
  const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-http") as typeof import("@opentelemetry/exporter-trace-otlp-http");
  const { detectResources, envDetector, resourceFromAttributes } = require("@opentelemetry/resources") as typeof import("@opentelemetry/resources");
  const role = path.basename(process.argv[1] ?? "switchboard").replace(/\.[cm]?[jt]s$/, "");
  const resource = resourceFromAttributes({
    "service.name": process.env.OTEL_SERVICE_NAME || "switchboard",
    // The same name the BullMQ workers of this process carry (a job's processedBy).
    "service.instance.id": `${hostname()}:${process.pid}`,
    "switchboard.process": role,
  }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  // The AsyncLocalStorage context manager and the W3C trace-context propagator (BullMQ carries it in jobs).
  provider.register();
  tracingStarted(() => provider.shutdown());
}
