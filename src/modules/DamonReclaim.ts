/**
 * DAMON_RECLAIM as an Effect service: proactive reclamation of cold physical memory, the
 * counterpart of `mm/damon/reclaim.c`. Its parameters (`/sys/module/damon_reclaim/parameters/`)
 * are readable and writable as text with the kernel's formats and as a typed record; `enabled`
 * starts the module's `paddr` context exclusively, a repeat `damonCall` copies the scheme's
 * stats into the read-only parameters and hands pending `commit_inputs` to an online commit.
 * Built only on the `Damon` runtime and the `Kdamond` handle. No boot command line, no module
 * init failure paths.
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import { Damon } from "../Damon.ts"
import type { Kdamond, KdamondOptions } from "../engine/Kdamond.ts"
import { canceled, type DamonError } from "../model/DamonError.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import { applyPatch, noSuchParam, type ParamValue, readOnlyParam, show, store } from "./ModuleParams.ts"
import * as ModuleRuntime from "./ModuleRuntime.ts"
import { type DamonModule, type DefaultRegion, type SchemeStats, statsOf, type SystemRam, withRegionWrittenBack, zeroStats } from "./ModulesCommon.ts"
import { buildReclaim, checkCommitInputs, type ReclaimBuild } from "./ReclaimCtx.ts"
import {
  defaults,
  inputTable,
  PREFIX,
  type ReclaimParams,
  type ReclaimParamsInput,
  statsTable
} from "./ReclaimParams.ts"

export type { DefaultRegion, SchemeStats, SystemRam } from "./ModulesCommon.ts"
export { defaults, type ReclaimParams, type ReclaimParamsInput, ReclaimParamsSchema } from "./ReclaimParams.ts"

/** Options of the DAMON_RECLAIM layer. */
export interface DamonReclaimOptions {
  /** The machine's System RAM resources, for the default monitoring region (a `SimMachine` works). */
  readonly memory: SystemRam
  /** Options of the kdamond `enabled` starts (time mode, seed, stop time); `exclusive` is always set. */
  readonly start?: KdamondOptions
  /** The default monitoring region when both bounds are 0. Defaults to `"biggest"` (R2). */
  readonly defaultRegion?: DefaultRegion
  /** Initial values of the input parameters (what `damon_reclaim.<name>=` on the boot command line sets). */
  readonly params?: ReclaimParamsInput
}

/**
 * DAMON_RECLAIM.
 *
 * **Details**
 * `commitInputs` writes `commit_inputs = Y` and, while enabled, waits until the kdamond applied
 * the parameters (`commit_inputs` reads `N` again). It fails with the error that disabled the
 * module when a parameter is invalid, `Canceled` if the module stops first. While disabled the
 * request stays pending and is applied after the next enable, as in the kernel.
 */
export class DamonReclaim extends Context.Service<DamonReclaim, DamonModule<ReclaimParams, ReclaimParamsInput, SchemeStats>>()(
  "effect-damon/modules/DamonReclaim"
) {}

/** `commit_inputs`: idle (`N`), requested (`Y`), or handed to the kdamond for commit (`Y`). */
type CommitState = "idle" | "pending" | "applying"

const ENABLED = { name: "enabled", kind: "bool" } as const
const COMMIT_INPUTS = { name: "commit_inputs", kind: "bool" } as const

/**
 * Builds DAMON_RECLAIM over the `Damon` runtime; its kdamond lives in the layer's scope.
 *
 * **Details**
 * Mirrors `damon_reclaim_enabled_store()`, `damon_reclaim_turn()`,
 * `damon_reclaim_commit_inputs_store()` and `damon_reclaim_damon_call_fn()`, with the module's
 * `enabled` and `kdamond_pid` reading the real running state (see the module README).
 */
export const make = (
  options: DamonReclaimOptions
): Effect.Effect<DamonReclaim["Service"], DamonError, Damon | Scope.Scope> =>
  Effect.gen(function*() {
    const damon = yield* Damon
    const layerScope = yield* Scope.Scope
    const initial = applyPatch(PREFIX, inputTable, defaults, options.params ?? {})
    if (Result.isFailure(initial)) return yield* Effect.fail(initial.failure)
    let params: ReclaimParams = initial.success
    const defaultRegion = options.defaultRegion ?? "biggest"
    const runtime = ModuleRuntime.make(damon, layerScope, options.start ?? {})
    const lock = yield* Semaphore.make(1)
    let commit: CommitState = "idle"
    let waiters: Array<Deferred.Deferred<void, DamonError>> = []
    let base: SchemeStats = zeroStats
    let shown: SchemeStats = zeroStats

    const build = (): Result.Result<ReclaimBuild, DamonError> => {
      const built = buildReclaim(params, options.memory.systemRamRanges(), defaultRegion)
      if (Result.isSuccess(built)) params = withRegionWrittenBack(params, built.success.region)
      return built
    }

    const settleWaiters = (outcome: Effect.Effect<void, DamonError>): void => {
      const ws = waiters
      waiters = []
      for (const w of ws) Deferred.doneUnsafe(w, outcome)
    }

    /** `damon_reclaim_damon_call_fn()`: copy the stats, hand a pending commit to the committer. */
    const onCall = (queue: Queue.Queue<Result.Result<ReclaimBuild, DamonError>>) => (ctx: DamonCtx): void => {
      for (const s of ctx.schemes) shown = statsOf(base, s.stat)
      if (commit !== "pending") return
      commit = "applying"
      Queue.offerUnsafe(queue, build())
    }

    /**
     * Commits what the repeat call handed over, through `Kdamond.commit` (a `damonCall`); an
     * invalid input stops the kdamond (the kernel's `maybe_corrupted` stop) and fails the waiters.
     */
    const committer = (k: Kdamond, queue: Queue.Queue<Result.Result<ReclaimBuild, DamonError>>) =>
      Effect.forever(Effect.gen(function*() {
        const built = yield* Queue.take(queue)
        const outcome = yield* Effect.exit(
          Result.isSuccess(built) ? k.commit(built.success.config) : Effect.fail(built.failure)
        )
        commit = "idle"
        const ws = waiters
        waiters = []
        if (outcome._tag === "Failure") yield* Effect.ignore(k.stop)
        for (const w of ws) Deferred.doneUnsafe(w, outcome)
      }))

    const turnOn = Effect.gen(function*() {
      const built = build()
      if (Result.isFailure(built)) return yield* Effect.fail(built.failure)
      const queue = yield* Queue.unbounded<Result.Result<ReclaimBuild, DamonError>>()
      // A commit handed to the previous run's committer died with that run: still pending, as the
      // kernel's flag stays set until a repeat call applies it.
      if (commit === "applying") commit = "pending"
      // The kernel's context keeps its scheme (and its stats) between runs.
      base = shown
      const run = yield* runtime.start(built.success.config, onCall(queue))
      yield* Effect.forkIn(committer(run.kdamond, queue), run.scope, { startImmediately: true })
      yield* Effect.forkIn(
        Effect.andThen(run.kdamond.join, Effect.sync(() => settleWaiters(Effect.fail(canceled("DAMON_RECLAIM stopped"))))),
        run.scope,
        { startImmediately: true }
      )
    })

    const turnOff = Effect.andThen(
      runtime.stop,
      Effect.sync(() => settleWaiters(Effect.fail(canceled("DAMON_RECLAIM was disabled"))))
    )

    /** `damon_reclaim_enabled_store()`: nothing when the state already matches. */
    const enable: Effect.Effect<void, DamonError> = Effect.flatMap(
      runtime.isRunning,
      (running) => (running ? Effect.void : turnOn)
    )
    const disable: Effect.Effect<void> = Effect.flatMap(runtime.isRunning, (running) => (running ? turnOff : Effect.void))

    /** `damon_reclaim_commit_inputs_store()`: `N` and a repeated `Y` change nothing. */
    const requestCommit: Effect.Effect<void, DamonError> = Effect.suspend(() => {
      if (commit !== "idle") return Effect.void
      const error = checkCommitInputs(params)
      if (error !== undefined) return Effect.fail(error)
      commit = "pending"
      return Effect.void
    })

    const setParam = (key: string, value: ParamValue): void => {
      params = { ...params, [key]: value }
    }

    const read = (name: string): Effect.Effect<string, DamonError> =>
      Effect.gen(function*() {
        if (name === "enabled") return show("bool", yield* runtime.isRunning)
        if (name === "commit_inputs") return show("bool", commit !== "idle")
        if (name === "kdamond_pid") return show("int", yield* runtime.pid)
        const stat = statsTable.find(([n]) => n === name)
        if (stat !== undefined) return show("ulong", shown[stat[1]])
        const param = inputTable.find((p) => p.name === name)
        if (param === undefined) return yield* Effect.fail(noSuchParam(PREFIX, name))
        return show(param.kind, params[param.key])
      })

    const write = (name: string, text: string): Effect.Effect<void, DamonError> =>
      Effect.suspend(() => {
        if (name === "kdamond_pid" || statsTable.some(([n]) => n === name)) {
          return Effect.fail(readOnlyParam(PREFIX, name))
        }
        if (name === "enabled" || name === "commit_inputs") {
          const yes = store(PREFIX, name === "enabled" ? ENABLED : COMMIT_INPUTS, text)
          if (Result.isFailure(yes)) return Effect.fail(yes.failure)
          if (name === "enabled") return yes.success === true ? enable : disable
          return yes.success === true ? requestCommit : Effect.void
        }
        const param = inputTable.find((p) => p.name === name)
        if (param === undefined) return Effect.fail(noSuchParam(PREFIX, name))
        const value = store(PREFIX, param, text)
        if (Result.isFailure(value)) return Effect.fail(value.failure)
        setParam(param.key, value.success)
        return Effect.void
      }).pipe(Semaphore.withPermit(lock))

    const commitInputs: Effect.Effect<void, DamonError> = Effect.gen(function*() {
      const waiter = yield* Effect.gen(function*() {
        yield* requestCommit
        if (!(yield* runtime.isRunning)) return undefined
        const w = Deferred.makeUnsafe<void, DamonError>()
        waiters.push(w)
        return w
      }).pipe(Semaphore.withPermit(lock))
      if (waiter !== undefined) yield* Deferred.await(waiter)
    })

    const set = (patch: ReclaimParamsInput): Effect.Effect<void, DamonError> =>
      Effect.suspend(() => {
        const next = applyPatch(PREFIX, inputTable, params, patch)
        if (Result.isFailure(next)) return Effect.fail(next.failure)
        params = next.success
        return Effect.void
      }).pipe(Semaphore.withPermit(lock))

    const parameters = [
      "enabled",
      "commit_inputs",
      "kdamond_pid",
      ...inputTable.map((p) => p.name),
      ...statsTable.map(([n]) => n)
    ].sort()

    return DamonReclaim.of({
      params: Effect.sync(() => params),
      set,
      enabled: runtime.isRunning,
      enable: enable.pipe(Semaphore.withPermit(lock)),
      disable: disable.pipe(Semaphore.withPermit(lock)),
      commitInputs,
      kdamondPid: runtime.pid,
      kdamond: Effect.sync(() => runtime.run()?.kdamond),
      stats: Effect.sync(() => shown),
      read,
      write,
      parameters
    })
  })

/** The DAMON_RECLAIM layer; needs the `Damon` runtime (with a `paddr` ops set registered). */
export const layer = (options: DamonReclaimOptions): Layer.Layer<DamonReclaim, DamonError, Damon> =>
  Layer.effect(DamonReclaim, make(options))
