/**
 * The kdamond side of a special-purpose module: start its context exclusively
 * (`damon_start(&ctx, 1, true)`), register the static repeat `damon_call()` that copies scheme
 * stats into the read-only parameters, stop it (`damon_stop()`), and answer `damon_is_running()`
 * and `damon_kdamond_pid()`. Built only on the `Damon` runtime and the `Kdamond` handle. Does not
 * know any module's parameters (see `DamonReclaim.ts`, `DamonLruSort.ts`).
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { Damon } from "../Damon.ts"
import type { Kdamond, KdamondOptions } from "../engine/Kdamond.ts"
import type { DamonError } from "../model/DamonError.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import type { ModuleConfig } from "./ModulesCommon.ts"

/** One run of the module's context: its kdamond and the scope everything of the run lives in. */
export interface ModuleRun {
  readonly kdamond: Kdamond
  readonly scope: Scope.Closeable
}

/** The lifecycle of one module's context. */
export interface ModuleRuntime {
  /** The current run, if one was started and not stopped through {@link ModuleRuntime.stop}. */
  readonly run: () => ModuleRun | undefined
  /** `damon_is_running(ctx)`: a run exists and its kdamond has not stopped (by itself or otherwise). */
  readonly isRunning: Effect.Effect<boolean>
  /** `damon_kdamond_pid(ctx)`, or `-1` when not running. */
  readonly pid: Effect.Effect<number>
  /**
   * Starts the context exclusively with `config` and registers `onCall` as a repeat
   * `damonCall` (run at every loop iteration, also while watermarks keep every scheme inactive).
   * `Busy` while any other kdamond runs; an invalid config starts nothing.
   */
  readonly start: (config: ModuleConfig, onCall: (ctx: DamonCtx) => void) => Effect.Effect<ModuleRun, DamonError>
  /** Stops the kdamond if it runs and closes the run's scope; nothing when there is no run. */
  readonly stop: Effect.Effect<void>
}

/**
 * Builds the lifecycle over `damon`; runs live in child scopes of `parent`, so closing it (the
 * module layer's scope) stops the kdamond.
 *
 * **Details**
 * Mirrors `damon_*_turn()` of `mm/damon/reclaim.c` and `mm/damon/lru_sort.c`: `damon_start()`
 * with `exclusive = true`, then `damon_call()` of the static repeat control. A stale run whose
 * kdamond stopped by itself is cleaned up before the next start.
 */
export const make = (damon: Damon["Service"], parent: Scope.Scope, options: KdamondOptions): ModuleRuntime => {
  let current: ModuleRun | undefined

  const closeRun = (run: ModuleRun): Effect.Effect<void> =>
    Effect.andThen(Effect.ignore(run.kdamond.stop), Scope.close(run.scope, Exit.void))

  const isRunning: Effect.Effect<boolean> = Effect.suspend(() =>
    current === undefined ? Effect.succeed(false) : current.kdamond.isRunning
  )

  const start = (config: ModuleConfig, onCall: (ctx: DamonCtx) => void): Effect.Effect<ModuleRun, DamonError> =>
    Effect.gen(function*() {
      const stale = current
      current = undefined
      if (stale !== undefined) yield* closeRun(stale)
      const scope = yield* Scope.fork(parent)
      const started = yield* Effect.exit(Scope.provide(scope)(damon.start(config, { ...options, exclusive: true })))
      if (Exit.isFailure(started)) {
        yield* Scope.close(scope, Exit.void)
        return yield* Effect.failCause(started.cause)
      }
      const run: ModuleRun = { kdamond: started.value, scope }
      current = run
      // The repeat call ends with Canceled when the kdamond stops; nobody waits for it. If it ever
      // fails otherwise (its function threw), the module's stats and commits are dead: stop it.
      const repeat = run.kdamond.damonCallRepeat(onCall).pipe(
        Effect.catch((e) =>
          e.reason._tag === "Canceled" || e.reason._tag === "NotRunning"
            ? Effect.void
            : Effect.logError(`module repeat call failed, stopping the module: ${e.message}`).pipe(
              Effect.andThen(Effect.ignore(run.kdamond.stop))
            )
        )
      )
      yield* Effect.forkIn(repeat, scope, { startImmediately: true })
      return run
    })

  const stop: Effect.Effect<void> = Effect.suspend(() => {
    const run = current
    current = undefined
    return run === undefined ? Effect.void : closeRun(run)
  })

  return {
    run: () => current,
    isRunning,
    pid: Effect.map(isRunning, (running) => (running && current !== undefined ? current.kdamond.pid : -1)),
    start,
    stop
  }
}
