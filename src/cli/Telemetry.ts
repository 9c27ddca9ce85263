/**
 * `--otlp <url>`: traces and metrics to an OpenTelemetry collector with Effect's own OTLP
 * exporter (`effect/observability`, OTLP/HTTP with JSON bodies, over fetch), so a fleet of
 * monitors feeds an existing collector. Traces are the spans the program already makes (a span
 * per command, `Damon.start`, `kdamond.commit`, each HTTP request served or sent); metrics are
 * every kdamond's counters (`kdamond.stats`) as gauges, read once a second. Without `--otlp`
 * nothing is loaded or exported. The exporter flushes when the command ends (also on Ctrl-C).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { FetchHttpClient } from "effect/http"
import { Otlp, type OtlpExporter, OtlpSerialization } from "effect/observability"
import type { Kdamond } from "../engine/Kdamond.ts"

/** The exporter layer for a collector at `baseUrl` (`/v1/traces`, `/v1/metrics` below it). */
export const otlpLayer = (baseUrl: string, command: string): Layer.Layer<OtlpExporter.Flusher> =>
  Otlp.layer({
      baseUrl,
      resource: { serviceName: "effect-damon", serviceVersion: "0.1.0", attributes: { "effect_damon.command": command } },
      metricsExportInterval: "5 seconds",
      tracerExportInterval: "1 second",
    shutdownTimeout: "3 seconds"
  }).pipe(Layer.provide(OtlpSerialization.layerJson), Layer.provide(FetchHttpClient.layer))

/** Runs `effect` with the exporter when `otlp` is set (the command's whole run is a span). */
export const withTelemetry = (otlp: Option.Option<string>, command: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Option.isNone(otlp)
    ? effect
    : effect.pipe(Effect.withSpan(`effect-damon ${command}`), Effect.provide(otlpLayer(otlp.value, command)))

const gauges = {
  samples: Metric.gauge("damon_kdamond_samples", { description: "sampling passes since the kdamond started" }),
  aggregations: Metric.gauge("damon_kdamond_aggregations", { description: "aggregation windows completed" }),
  nrRegions: Metric.gauge("damon_kdamond_nr_regions", { description: "monitoring regions" }),
  callsServed: Metric.gauge("damon_kdamond_damon_calls_served", { description: "damonCall requests served" })
}

/** One reading of every kdamond's counters into the gauges. */
export const recordKdamondStats = (entries: ReadonlyArray<{ readonly index: number; readonly kdamond: Kdamond | undefined }>) =>
  Effect.forEach(entries, (e) =>
    e.kdamond === undefined ? Effect.void : Effect.flatMap(e.kdamond.stats, (s) => {
      const at = Metric.withAttributes({ kdamond: String(e.index) })
      return Effect.all([
        Metric.update(at(gauges.samples), s.samples),
        Metric.update(at(gauges.aggregations), s.aggregations),
        Metric.update(at(gauges.nrRegions), s.nrRegions),
        Metric.update(at(gauges.callsServed), s.callsServed)
      ], { discard: true })
    }), { discard: true })

/**
 * With `--otlp`, reads the kdamonds' counters into metrics every second for as long as the
 * scope lives; without it, does nothing.
 */
export const kdamondMetrics = (
  otlp: Option.Option<string>,
  kdamonds: Effect.Effect<ReadonlyArray<{ readonly index: number; readonly kdamond: Kdamond | undefined }>>
): Effect.Effect<void, never, Scope.Scope> =>
  Option.isNone(otlp)
    ? Effect.void
    : Effect.asVoid(Effect.forkScoped(Effect.repeat(Effect.flatMap(kdamonds, recordKdamondStats), Schedule.spaced("1 second"))))
