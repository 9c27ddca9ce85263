/**
 * The `serve` command around `Serve.ts`'s program: a port that cannot be bound is one line
 * naming `--port` and the reason; with `--otlp`, traces (every request, every `Damon.start`) and
 * the kdamonds' counters go to the collector while it serves.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Endpoint from "../http/HttpEndpoint.ts"
import type { DamonError } from "../model/DamonError.ts"
import { Sysfs } from "../sysfs/Sysfs.ts"
import { banner, exitOnSecondSignal, runServe, type ServeOptions, serveLayer } from "./Serve.ts"
import { explainServeError } from "./ServeFailure.ts"
import { kdamondMetrics, withTelemetry } from "./Telemetry.ts"
import { loadWorkload } from "./Workloads.ts"

/** `effect-damon serve`. */
export const runServeCommand = (options: ServeOptions & { readonly otlp: Option.Option<string> }): Effect.Effect<void, DamonError> =>
  Effect.gen(function*() {
    const { otlp, ...serve } = options
    // Checked here first so an unknown workload lists the shipped names.
    const workload = loadWorkload(serve.workload)
    if (Result.isFailure(workload)) return yield* Effect.fail(workload.failure)
    if (Option.isNone(otlp)) return yield* runServe(serve).pipe(explainServeError(serve.port, serve.host), exitOnSecondSignal)
    yield* Effect.gen(function*() {
      const sysfs = yield* Sysfs
      yield* Console.log(banner(yield* Endpoint.url, serve))
      yield* kdamondMetrics(otlp, sysfs.kdamonds)
      return yield* Effect.never
    }).pipe(
      Effect.scoped,
      Effect.provide(serveLayer(serve)),
      explainServeError(serve.port, serve.host),
      Effect.onInterrupt(() => Console.log("effect-damon serve: stopped")),
      withTelemetry(otlp, "serve"),
      exitOnSecondSignal
    )
  })
