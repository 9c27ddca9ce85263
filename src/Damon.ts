/**
 * The public control API: starting kdamonds on contexts, with the kernel's global rules
 * (`damon_start()` / `damon_stop()`: exclusive groups, the running count). Each started
 * kdamond is returned as a `Kdamond` handle with `damonCall`, `damosWalk`, events and `stop`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { buildCtx, type DamonConfigInput, decodeConfig } from "./core/BuildCtx.ts"
import type { CommitSource } from "./core/CommitCtx.ts"
import { checkMeasurable, checkTargets } from "./core/ConfigChecks.ts"
import { makeRng } from "./core/Rng.ts"
import type * as Kdamond from "./engine/Kdamond.ts"
import * as KdamondStart from "./engine/KdamondStart.ts"
import { WorldClock } from "./engine/World.ts"
import { decode } from "./internal/validate.ts"
import { busy, type DamonError, limitExceeded, opsFailed } from "./model/DamonError.ts"
import { MAX_EVENT_BUFFER, MAX_RUNNING_KDAMONDS } from "./model/Limits.ts"
import type { DamonCtx } from "./model/DamonCtx.ts"
import type { DamonOps, DamonOpsFactory } from "./ops/DamonOps.ts"
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
    `must be an integer in [1, ${MAX_EVENT_BUFFER}]`,
    (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_EVENT_BUFFER
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
   * needing memory metrics the ops set lacks is an `InvalidArgument` and starts nothing. Input
   * past a library limit (`docs/limits.md`: targets, regions, schemes, filters, goals,
   * destinations, kdamonds running) is an `OutOfMemory` (`ENOMEM`); a throwing ops factory or
   * `targetValid` an `OpsFailed`. Any input, however hostile, gives one of these errors, never a
   * defect.
   */
  readonly start: (config: DamonConfigInput, options?: StartOptions) => Effect.Effect<Kdamond.Kdamond, DamonError, Scope.Scope>
  /** Number of running kdamonds (`damon_nr_running_ctxs()`). */
  readonly nrRunningCtxs: Effect.Effect<number>
  /** Registered operations set ids (`avail_operations`). */
  readonly opsIds: ReadonlyArray<string>
}>()("effect-damon/Damon") {}

/**
 * Builds the context and the ops instance for a decoded config and checks the config against
 * the ops set. The factory and `targetValid` are the ops set's code: a throw from either is an
 * `OpsFailed`, not a defect.
 */
const prepareWith = (world: { readonly nowUs: () => number }) =>
(source: CommitSource, factory: DamonOpsFactory): Result.Result<{ readonly ops: DamonOps; readonly ctx: DamonCtx }, DamonError> => {
  let ops: DamonOps
  try {
    ops = factory()
  } catch (cause) {
    return Result.fail(opsFailed("factory", cause))
  }
  const ctx = buildCtx(source)
  try {
    const invalid = checkMeasurable(source, ops) ?? checkTargets(source, ops, ctx, { rng: makeRng(0), nowUs: world.nowUs })
    return invalid === undefined ? Result.succeed({ ops, ctx }) : Result.fail(invalid)
  } catch (cause) {
    return Result.fail(opsFailed("targetValid", cause))
  }
}

/** Builds the runtime over an ops registry and a world clock (shared by all its kdamonds). */
export const make: Effect.Effect<Damon["Service"], never, OpsRegistry | WorldClock> = Effect.gen(function*() {
  const registry = yield* OpsRegistry
  const world = yield* WorldClock
  let nrRunning = 0
  let runningExclusive = false
  let nextPid = 1
  const prepare = prepareWith(world)
  // A named, traced method (a span per start), as Effect's own services do.
  const start = Effect.fn("Damon.start")(
    function*(config: unknown, options: unknown = {}) {
      const validOptions = decode(StartOptionsSchema, options, "options")
      if (Result.isFailure(validOptions)) return yield* Effect.fail(validOptions.failure)
      const source = decodeConfig(config)
      if (Result.isFailure(source)) return yield* Effect.fail(source.failure)
      const factory = registry.select(source.success.base.ops)
      if (Result.isFailure(factory)) return yield* Effect.fail(factory.failure)
      const exclusive = validOptions.success.exclusive === true
      if ((exclusive && nrRunning > 0) || (!exclusive && runningExclusive)) {
        return yield* Effect.fail(busy(exclusive ? "kdamonds are running" : "an exclusive DAMON user is running"))
      }
      if (nrRunning >= MAX_RUNNING_KDAMONDS) {
        return yield* Effect.fail(
          limitExceeded("kdamonds", nrRunning + 1, `at most ${MAX_RUNNING_KDAMONDS} kdamonds running in one runtime`)
        )
      }
      const prepared = prepare(source.success, factory.success)
      if (Result.isFailure(prepared)) return yield* Effect.fail(prepared.failure)
      const { ops, ctx } = prepared.success
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
