/**
 * `start`, `tune` and `stop`, as damo does them through the admin tree: `start` sets
 * `nr_kdamonds`, stages each config and writes `on`; `tune` stages a running kdamond's new
 * parameters and writes `commit`; `stop` writes `off`. Against a running `serve` (`--server` or
 * `$EFFECT_DAMON_SERVER`) they send the HTTP requests a script would. `start` without a server
 * runs the monitor here, in the foreground: a simulated machine with `--workload`, the admin tree
 * and its HTTP endpoint (so `status`, `tune`, `report` and `stop` can reach it), until the
 * kdamonds stop or Ctrl-C.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { StartConfig } from "../damo/KdamondsJson.ts"
import * as Endpoint from "../http/HttpEndpoint.ts"
import { invalidArgument, notRunning } from "../model/DamonError.ts"
import { Sysfs } from "../sysfs/Sysfs.ts"
import { type AdminTree, httpClientLayer, inProcess, overHttp, type TreeError } from "./AdminTree.ts"
import { configsOf } from "./Configs.ts"
import type { DamoOptions } from "./DamoOptions.ts"
import { banner, serveLayer } from "./Serve.ts"
import { explainServeError } from "./ServeFailure.ts"
import { requireServer, serverEnv, serverOf } from "./ServerUrl.ts"
import { command, ensureKdamonds, stage } from "./Staging.ts"
import { kdamondMetrics, withTelemetry } from "./Telemetry.ts"
import { runningKdamonds } from "./TreeRead.ts"

/** Options of `start`. */
export interface StartOptions {
  readonly server: Option.Option<string>
  readonly kdamonds: Option.Option<string>
  readonly damo: DamoOptions
  /** Foreground only: the simulated machine and its endpoint. */
  readonly workload: Option.Option<string>
  readonly seed: number
  readonly time: Option.Option<"real" | "virtual">
  readonly port: Option.Option<number>
  readonly host: string
  readonly otlp: Option.Option<string>
}

const summary = (c: StartConfig): string => {
  const t = c.targets.map((x) => (x.pid === null ? "physical memory" : `pid ${x.pid}`)).join(", ")
  const schemes = c.schemes.length === 0 ? "no scheme" : `schemes ${c.schemes.map((s) => s.action).join(", ")}`
  return `${c.ops} on ${t}, ${schemes}`
}

/** Sets up and turns on one kdamond per config on `tree` (nothing may be running). */
const startOn = (tree: AdminTree, configs: ReadonlyArray<StartConfig>): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const running = yield* runningKdamonds(tree)
    if (running.length > 0) {
      return yield* Effect.fail(invalidArgument(`kdamonds/${running[0]}/state`, "on", "a kdamond is already running there: stop it first (effect-damon stop)"))
    }
    yield* ensureKdamonds(tree, configs.length)
    for (let i = 0; i < configs.length; i++) yield* stage(tree, i, configs[i])
    for (let i = 0; i < configs.length; i++) {
      yield* command(tree, i, "on")
      yield* Console.log(`kdamond ${i} on (${summary(configs[i]!)})`)
    }
  }).pipe(Effect.withSpan("effect-damon start"))

const foregroundOnly = (o: StartOptions): string | undefined =>
  Option.isSome(o.workload) ? "--workload" : Option.isSome(o.time) ? "--time" : Option.isSome(o.port) ? "--port" : undefined

/** `effect-damon start`. */
export const runStart = (o: StartOptions): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const configs = yield* configsOf(Option.getOrUndefined(o.kdamonds), o.damo)
    const server = yield* serverOf(o.server)
    if (server !== undefined) {
      const local = foregroundOnly(o)
      if (local !== undefined) {
        return yield* Effect.fail(invalidArgument(local, "(given)", `applies only without a server: ${server} runs its own machine (unset ${serverEnv} or drop --server to run one here)`))
      }
      return yield* Effect.flatMap(overHttp(server), (tree) => startOn(tree, configs)).pipe(Effect.provide(httpClientLayer))
    }
    yield* runForeground(o, configs)
  }).pipe(withTelemetry(o.otlp, "start"))

/** The foreground monitor: serve's machine and endpoint, the kdamonds on, until they stop. */
const runForeground = (o: StartOptions, configs: ReadonlyArray<StartConfig>): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const options = {
      port: Option.getOrElse(o.port, () => 0),
      host: o.host,
      workload: Option.getOrElse(o.workload, () => "stairs"),
      seed: o.seed,
      time: Option.getOrElse(o.time, () => "real" as const)
    }
    yield* Effect.scoped(Effect.gen(function*() {
      const sysfs = yield* Sysfs
      yield* Console.log(banner(yield* Endpoint.url, options))
      yield* startOn(inProcess(sysfs), configs)
      yield* Console.log(`effect-damon start: running here; ${serverEnv}=${yield* Endpoint.url} lets other commands reach it (stop or Ctrl-C ends it)`)
      const entries = yield* sysfs.kdamonds
      yield* kdamondMetrics(o.otlp, sysfs.kdamonds)
      for (const e of entries) {
        if (e.kdamond === undefined) continue
        const reason = yield* e.kdamond.join
        yield* Console.log(`kdamond ${e.index} stopped (${reason._tag})`)
      }
    })).pipe(Effect.provide(serveLayer(options)), explainServeError(options.port, options.host))
  })

/** Options of `tune`. */
export interface TuneOptions {
  readonly server: Option.Option<string>
  readonly kdamonds: Option.Option<string>
  readonly kdamond: number
  readonly damo: DamoOptions
}

/** `effect-damon tune`: new parameters for a running kdamond, committed online. */
export const runTune = (o: TuneOptions): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const configs = yield* configsOf(Option.getOrUndefined(o.kdamonds), o.damo)
    if (configs.length !== 1) return yield* Effect.fail(invalidArgument("--kdamonds", `${configs.length} kdamonds`, "tune takes one kdamond's config (pick it with --kdamond)"))
    const server = yield* requireServer(o.server)
    yield* Effect.gen(function*() {
      const tree = yield* overHttp(server)
      const state = (yield* tree.read(`kdamonds/${o.kdamond}/state`)).trim()
      if (state !== "on") return yield* Effect.fail(notRunning(`kdamond ${o.kdamond} (tune changes a running kdamond; use start)`))
      yield* stage(tree, o.kdamond, configs[0])
      yield* command(tree, o.kdamond, "commit")
      yield* Console.log(`kdamond ${o.kdamond} tuned (${summary(configs[0]!)})`)
    }).pipe(Effect.withSpan("effect-damon tune"), Effect.provide(httpClientLayer))
  })

/** Options of `stop`. */
export interface StopOptions {
  readonly server: Option.Option<string>
  readonly kdamond: Option.Option<number>
}

/** `effect-damon stop`: `off` to one kdamond, or to every running one. */
export const runStop = (o: StopOptions): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const server = yield* requireServer(o.server)
    yield* Effect.gen(function*() {
      const tree = yield* overHttp(server)
      const which = Option.isSome(o.kdamond) ? [o.kdamond.value] : yield* runningKdamonds(tree)
      if (which.length === 0) return yield* Effect.fail(notRunning("no kdamond is running"))
      for (const k of which) {
        yield* command(tree, k, "off")
        yield* Console.log(`kdamond ${k} off`)
      }
    }).pipe(Effect.withSpan("effect-damon stop"), Effect.provide(httpClientLayer))
  })
