/**
 * The job of `effect-damon serve`: a simulated machine running a masim workload as pid 42, the
 * DAMON runtime over its operations sets, the sysfs admin tree, and the loopback HTTP endpoint
 * over the tree (`/admin/...`, `/metrics`), running until interrupted. Out-of-process clients
 * then drive DAMON the way they drive `/sys/kernel/mm/damon/admin`. No kdamond starts by
 * itself: the tree starts empty, as after boot. Also the `serve` command (its flags), which
 * answers a bad flag with one line on stderr and exit code 1, and exits at once on a second
 * SIGINT/SIGTERM while the first one's graceful shutdown runs.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import type { HttpServerError } from "effect/http"
import * as Damon from "../Damon.ts"
import * as World from "../engine/World.ts"
import type { TimeMode } from "../engine/World.ts"
import { readTokenFile } from "../http/BearerToken.ts"
import * as Endpoint from "../http/HttpEndpoint.ts"
import * as WorkerEndpoint from "../http/WorkerEndpoint.ts"
import type { DamonError } from "../model/DamonError.ts"
import * as OpsRegistry from "../ops/OpsRegistry.ts"
import { SimMachine } from "../sim/SimMachine.ts"
import { simOps } from "../sim/SimOps.ts"
import * as Sysfs from "../sysfs/Sysfs.ts"
import { loadWorkload } from "./Demo.ts"

/** Options of `serve` (the CLI flags). */
export interface ServeOptions {
  /** TCP port; 0 = any free port (the URL printed tells which). */
  readonly port: number
  /** Bind address; 127.0.0.1 by default. A non-loopback one needs {@link allowRemote}. */
  readonly host: string
  /** Allows a non-loopback {@link host} (`--allow-remote`). */
  readonly allowRemote?: boolean
  /** A file holding the bearer token every request must carry (`--token-file`); none by default. */
  readonly tokenFile?: string
  /** How long shutdown waits for answers in progress (`--shutdown-grace-ms`). */
  readonly shutdownGraceMs?: number
  /**
   * Where HTTP is served: `worker` (a worker thread; the default: requests do not take the
   * kdamonds' thread) or `main` (the kdamonds' thread, as `HttpEndpoint.layer`).
   */
  readonly httpThread?: "worker" | "main"
  /** A shipped masim config name (`stairs`, `zigzag`, ...) or a path to a masim file. */
  readonly workload: string
  /** Seed of the machine's layout and of every kdamond `on` starts. */
  readonly seed: number
  /** Time of the kdamonds: `real` (wall clock) or `virtual` (as fast as the CPU allows). */
  readonly time: TimeMode
}

/** Defaults of the optional flags. */
export const defaultServeOptions: Omit<ServeOptions, "port"> = {
  host: Endpoint.defaultHost,
  workload: "stairs",
  seed: 1,
  time: "real"
}

/** The pid of the workload process (as in the demo). */
export const workloadPid = 42

/**
 * Everything `serve` runs, as one layer: the HTTP endpoint over the admin tree over the runtime
 * over the simulated machine's operations sets. `vaddr`/`fvaddr` targets must name a process of
 * the machine (pid 42). Fails with `InvalidArgument` for a bad workload, port, host or token
 * file (before anything listens), `ServeError` when the port cannot be bound. Releasing it
 * closes the server and stops every kdamond.
 */
export const serveLayer = (
  options: ServeOptions
): Layer.Layer<Sysfs.Sysfs | Endpoint.Endpoint, DamonError | HttpServerError.ServeError> =>
  Layer.unwrap(
    Effect.gen(function*() {
      const token = options.tokenFile === undefined ? undefined : yield* readTokenFile(options.tokenFile)
      const config = loadWorkload(options.workload)
      if (Result.isFailure(config)) return yield* Effect.fail(config.failure)
      const machine = SimMachine.withMasim(config.success, { seed: options.seed, pid: workloadPid, loop: true })
      if (Result.isFailure(machine)) return yield* Effect.fail(machine.failure)
      const m = machine.success
      const tree = Sysfs.layer({
        start: { seed: options.seed },
        processExists: (pid) => m.process(pid) !== undefined
      }).pipe(Layer.provide(Damon.layer), Layer.provide([OpsRegistry.layer(simOps(m)), World.layer(options.time)]))
      const endpoint = (options.httpThread === "main" ? Endpoint.layer : WorkerEndpoint.layer)({
        port: options.port,
        host: options.host,
        allowRemote: options.allowRemote === true,
        ...(token === undefined ? {} : { token }),
        ...(options.shutdownGraceMs === undefined ? {} : { limits: { shutdownGraceMs: options.shutdownGraceMs } })
      })
      return endpoint.pipe(Layer.provideMerge(tree))
    })
  )

/**
 * Runs `serve`: builds {@link serveLayer}, reports the URL to `onListening` (by default prints
 * it), then waits until interrupted (Ctrl-C / SIGTERM under `NodeRuntime.runMain`), when the
 * server closes and the kdamonds stop.
 */
export const runServe = (
  options: ServeOptions,
  onListening: (url: string) => Effect.Effect<void> = (url) => Console.log(banner(url, options))
): Effect.Effect<never, DamonError | HttpServerError.ServeError> =>
  Effect.gen(function*() {
    const endpoint = yield* Endpoint.Endpoint
    yield* onListening(endpoint.url)
    return yield* endpoint.stopped
  }).pipe(
    Effect.provide(serveLayer(options)),
    Effect.onInterrupt(() => Console.log("effect-damon serve: stopped"))
  )

/**
 * While `effect` runs, a second SIGINT or SIGTERM ends the process at once (exit code 130): the
 * first one (handled by `NodeRuntime.runMain`) starts the graceful shutdown, which waits up to
 * the shutdown grace for answers in progress; an operator who does not want to wait signals
 * again. For the CLI only (it calls `process.exit`).
 */
export const exitOnSecondSignal = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      let signals = 0
      const onSignal = (signal: NodeJS.Signals) => {
        if (++signals < 2) return
        process.stderr.write(`effect-damon serve: ${signal} again, exiting without waiting\n`)
        process.exit(130)
      }
      process.on("SIGINT", onSignal)
      process.on("SIGTERM", onSignal)
      return onSignal
    }),
    () => effect,
    (onSignal) =>
      Effect.sync(() => {
        process.off("SIGINT", onSignal)
        process.off("SIGTERM", onSignal)
      })
  )

/** What `serve` prints once it listens. */
export const banner = (url: string, options: ServeOptions): string =>
  [
    `effect-damon serve: listening on ${url}`,
    `  admin tree: ${url}/admin/  (GET a file, GET a directory with a trailing slash, PUT to write)`,
    `  metrics:    ${url}/metrics`,
    `  workload '${options.workload}' as pid ${workloadPid}, ${options.time} time, seed ${options.seed}; Ctrl-C to stop`
  ].join("\n")
