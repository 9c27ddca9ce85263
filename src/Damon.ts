/**
 * The public control API: starting kdamonds on contexts, with the kernel's global rules
 * (`damon_start()` / `damon_stop()`: exclusive groups, the running count). Each started
 * kdamond is returned as a `Kdamond` handle with `damonCall`, `damosWalk`, events and `stop`.
 */
import { Context, Effect, Layer, Result, Schema, type Scope } from "effect"
import { buildCtx, type DamonConfigInput, decodeConfig } from "./core/BuildCtx.ts"
import { checkMeasurable, checkTargets } from "./core/ConfigChecks.ts"
import { makeRng } from "./core/Rng.ts"
import type * as Kdamond from "./engine/Kdamond.ts"
import * as KdamondStart from "./engine/KdamondStart.ts"
import { WorldClock } from "./engine/World.ts"
import { decode } from "./internal/validate.ts"
import { busy, type DamonError } from "./model/DamonError.ts"
import { OpsRegistry } from "./ops/OpsRegistry.ts"

/** Options of `Damon.start`. */
export interface StartOptions extends Kdamond.KdamondOptions {
  /**
   * Start as an exclusive user of DAMON (like the RECLAIM and LRU_SORT modules): refused with
   * `Busy` while any kdamond runs, and while it runs no other kdamond can start.
   */
  readonly exclusive?: boolean
}

const check = <A>(rule: string, ok: (a: A) => boolean) => Schema.makeFilter((a: A) => (ok(a) ? undefined : rule))

/** Schema of `StartOptions`: every field optional; unknown fields are refused. */
export const StartOptionsSchema = Schema.Struct({
  seed: Schema.optionalKey(Schema.Number.check(check("must be a safe integer", Number.isSafeInteger))),
  eventBufferSize: Schema.optionalKey(Schema.Number.check(check(
    "must be an integer in [1, 16777216]",
    (n: number) => Number.isInteger(n) && n >= 1 && n <= 1 << 24
  ))),
  stopAtUs: Schema.optionalKey(Schema.Number.check(check("must be a number >= 0 (Infinity allowed)", (n: number) => n >= 0))),
  exclusive: Schema.optionalKey(Schema.Boolean)
})

/** The DAMON runtime of one process. */
export class Damon extends Context.Service<Damon, {
  /**
   * Validates `config`, builds its context and starts a kdamond on it; returns once the kdamond
   * runs. The kdamond stops when the enclosing `Scope` closes (or on `stop`).
   *
   * **Details**
   * Mirrors `damon_start()` for one context: `Busy` when an exclusive group runs (or, for an
   * exclusive start, when anything runs); bad config or options, a target the ops set cannot
   * monitor (e.g. a vaddr pid of no live process, the kernel sysfs's `-EINVAL`) or a scheme
   * needing memory metrics the ops set lacks is an `InvalidArgument` and starts nothing.
   */
  readonly start: (config: DamonConfigInput, options?: StartOptions) => Effect.Effect<Kdamond.Kdamond, DamonError, Scope.Scope>
  /** Number of running kdamonds (`damon_nr_running_ctxs()`). */
  readonly nrRunningCtxs: Effect.Effect<number>
  /** Registered operations set ids (`avail_operations`). */
  readonly opsIds: ReadonlyArray<string>
}>()("effect-damon/Damon") {}

/** Builds the runtime over an ops registry and a world clock (shared by all its kdamonds). */
export const make: Effect.Effect<Damon["Service"], never, OpsRegistry | WorldClock> = Effect.gen(function*() {
  const registry = yield* OpsRegistry
  const world = yield* WorldClock
  let nrRunning = 0
  let runningExclusive = false
  let nextPid = 1
  // A named, traced method (a span per start), as Effect's own services do.
  const start = Effect.fn("Damon.start")(
    function*(config: unknown, options: unknown = {}) {
      const validOptions = decode(StartOptionsSchema, options, "options")
      if (Result.isFailure(validOptions)) return yield* Effect.fail(validOptions.failure)
      const source = decodeConfig(config)
      if (Result.isFailure(source)) return yield* Effect.fail(source.failure)
      const factory = registry.select(source.success.base.ops)
      if (Result.isFailure(factory)) return yield* Effect.fail(factory.failure)
      const ops = factory.success()
      const ctx = buildCtx(source.success)
      const invalid = checkMeasurable(source.success, ops) ??
        checkTargets(source.success, ops, ctx, { rng: makeRng(0), nowUs: world.nowUs })
      if (invalid !== undefined) return yield* Effect.fail(invalid)
      const exclusive = validOptions.success.exclusive === true
      if ((exclusive && nrRunning > 0) || (!exclusive && runningExclusive)) {
        return yield* Effect.fail(busy(exclusive ? "kdamonds are running" : "an exclusive DAMON user is running"))
      }
      // From here to the finalizer nothing may be interrupted: the running count, the exclusive
      // flag and the kdamond's stop must stay in step (the kdamond fiber itself is interruptible).
      return yield* Effect.uninterruptible(Effect.gen(function*() {
        const index = nrRunning
        nrRunning++
        if (exclusive) runningExclusive = true
        const scope = yield* Effect.scope
        const kdamond = yield* KdamondStart.start(
          {
            index,
            pid: nextPid++,
            ctx,
            ops,
            world,
            selectOps: registry.select,
            onStopped: () => {
              nrRunning--
              if (nrRunning === 0) runningExclusive = false
            }
          },
          validOptions.success,
          scope
        )
        yield* Effect.addFinalizer(() => Effect.ignore(kdamond.stop))
        return kdamond
      }))
    }
  )
  return { start, nrRunningCtxs: Effect.sync(() => nrRunning), opsIds: registry.ids }
})

/** The runtime layer; needs an `OpsRegistry` and a `WorldClock` (`World.layerVirtual` or `World.layerReal`). */
export const layer: Layer.Layer<Damon, never, OpsRegistry | WorldClock> = Layer.effect(Damon, make)
