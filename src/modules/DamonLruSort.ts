/**
 * DAMON_LRU_SORT as an Effect service: access-aware sorting of the LRU lists of physical memory
 * (hot pages activated, cold pages deactivated), the counterpart of `mm/damon/lru_sort.c` (the
 * mainline/linux-mm version: `enabled` and `kdamond_pid` read the real running state, and
 * `commit_inputs` applies the parameters in one `damon_call()` and returns its error). Its
 * parameters (`/sys/module/damon_lru_sort/parameters/`) are readable and writable as text with
 * the kernel's formats and as a typed record. Built only on the `Damon` runtime and the `Kdamond`
 * handle. No boot command line, no module init failure paths.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import { Damon } from "../Damon.ts"
import type { KdamondOptions } from "../engine/Kdamond.ts"
import { canceled, type DamonError } from "../model/DamonError.ts"
import type { DamonCtx } from "../model/DamonCtx.ts"
import { buildLruSort, type LruSortBuild } from "./LruSortCtx.ts"
import {
  coldStatsTable,
  defaults,
  hotStatsTable,
  inputTable,
  type LruSortParams,
  type LruSortParamsInput,
  type LruSortStats,
  PREFIX
} from "./LruSortParams.ts"
import { applyPatch, noSuchParam, readOnlyParam, show, store } from "./ModuleParams.ts"
import * as ModuleRuntime from "./ModuleRuntime.ts"
import { type DamonModule, type DefaultRegion, statsOf, type SystemRam, withRegionWrittenBack, zeroStats } from "./ModulesCommon.ts"

export type { DefaultRegion, SchemeStats, SystemRam } from "./ModulesCommon.ts"
export {
  defaults,
  type LruSortParams,
  type LruSortParamsInput,
  LruSortParamsSchema,
  type LruSortStats
} from "./LruSortParams.ts"

/** Options of the DAMON_LRU_SORT layer. */
export interface DamonLruSortOptions {
  /** The machine's System RAM resources, for the default monitoring region (a `SimMachine` works). */
  readonly memory: SystemRam
  /** Options of the kdamond `enabled` starts (time mode, seed, stop time); `exclusive` is always set. */
  readonly start?: KdamondOptions
  /** The default monitoring region when both bounds are 0. Defaults to `"systemRams"` (mainline). */
  readonly defaultRegion?: DefaultRegion
  /** Initial values of the input parameters (what `damon_lru_sort.<name>=` on the boot command line sets). */
  readonly params?: LruSortParamsInput
}

/**
 * DAMON_LRU_SORT. `stats` holds both schemes' statistics (`hot`, `cold`).
 *
 * **Details**
 * `commitInputs` applies every input parameter to the running kdamond in one `damonCall` and
 * returns its outcome; an invalid parameter stops the module and is returned; `Canceled` when
 * the module is not running.
 */
export class DamonLruSort extends Context.Service<DamonLruSort, DamonModule<LruSortParams, LruSortParamsInput, LruSortStats>>()(
  "effect-damon/modules/DamonLruSort"
) {}

const ENABLED = { name: "enabled", kind: "bool" } as const
const COMMIT_INPUTS = { name: "commit_inputs", kind: "bool" } as const

/**
 * Builds DAMON_LRU_SORT over the `Damon` runtime; its kdamond lives in the layer's scope.
 *
 * **Details**
 * Mirrors `damon_lru_sort_enabled_store()` / `_load()`, `damon_lru_sort_turn()`,
 * `damon_lru_sort_commit_inputs_store()`, `damon_lru_sort_kdamond_pid_load()` and
 * `damon_lru_sort_damon_call_fn()` (stats copied by action: `lru_prio` to hot, `lru_deprio` to cold).
 */
export const make = (
  options: DamonLruSortOptions
): Effect.Effect<DamonLruSort["Service"], DamonError, Damon | Scope.Scope> =>
  Effect.gen(function*() {
    const damon = yield* Damon
    const layerScope = yield* Scope.Scope
    const initial = applyPatch(PREFIX, inputTable, defaults, options.params ?? {})
    if (Result.isFailure(initial)) return yield* Effect.fail(initial.failure)
    let params: LruSortParams = initial.success
    const defaultRegion = options.defaultRegion ?? "systemRams"
    const runtime = ModuleRuntime.make(damon, layerScope, options.start ?? {})
    const lock = yield* Semaphore.make(1)
    let base: LruSortStats = { hot: zeroStats, cold: zeroStats }
    let shown: LruSortStats = base

    const build = (): Result.Result<LruSortBuild, DamonError> => {
      const built = buildLruSort(params, options.memory.systemRamRanges(), defaultRegion)
      if (Result.isSuccess(built)) params = withRegionWrittenBack(params, built.success.region)
      return built
    }

    /** `damon_lru_sort_damon_call_fn()`: copy each scheme's stats by its action. */
    const onCall = (ctx: DamonCtx): void => {
      let { hot, cold } = shown
      for (const s of ctx.schemes) {
        if (s.action === "lru_prio") hot = statsOf(base.hot, s.stat)
        else if (s.action === "lru_deprio") cold = statsOf(base.cold, s.stat)
      }
      if (hot !== shown.hot || cold !== shown.cold) shown = { hot, cold }
    }

    const turnOn = Effect.gen(function*() {
      const built = build()
      if (Result.isFailure(built)) return yield* Effect.fail(built.failure)
      // The kernel's context keeps its schemes (and their stats) between runs.
      base = shown
      yield* runtime.start(built.success.config, onCall)
    })

    /** `damon_lru_sort_enabled_store()`: nothing when the running state already matches. */
    const enable: Effect.Effect<void, DamonError> = Effect.flatMap(
      runtime.isRunning,
      (running) => (running ? Effect.void : turnOn)
    )
    const disable: Effect.Effect<void> = Effect.flatMap(
      runtime.isRunning,
      (running) => (running ? runtime.stop : Effect.void)
    )

    /**
     * `damon_lru_sort_commit_inputs_store()`: `damon_lru_sort_apply_parameters()` inside one
     * `damon_call()`; a failure stops the kdamond (see the module README) and is returned.
     */
    const applyInputs: Effect.Effect<void, DamonError> = Effect.gen(function*() {
      const k = runtime.run()?.kdamond
      if (k === undefined || !(yield* k.isRunning)) {
        return yield* Effect.fail(canceled("DAMON_LRU_SORT is not running (commit_inputs needs a running kdamond)"))
      }
      const built = build()
      const outcome = yield* Effect.exit(
        Result.isSuccess(built) ? k.commit(built.success.config) : Effect.fail(built.failure)
      )
      if (outcome._tag === "Success") return
      yield* Effect.ignore(k.stop)
      return yield* outcome
    })

    const read = (name: string): Effect.Effect<string, DamonError> =>
      Effect.gen(function*() {
        if (name === "enabled") return show("bool", yield* runtime.isRunning)
        // The store never sets the variable `commit_inputs`' `param_get_bool()` reads.
        if (name === "commit_inputs") return show("bool", false)
        if (name === "kdamond_pid") return show("int", yield* runtime.pid)
        const hot = hotStatsTable.find(([n]) => n === name)
        if (hot !== undefined) return show("ulong", shown.hot[hot[1]])
        const cold = coldStatsTable.find(([n]) => n === name)
        if (cold !== undefined) return show("ulong", shown.cold[cold[1]])
        const param = inputTable.find((p) => p.name === name)
        if (param === undefined) return yield* Effect.fail(noSuchParam(PREFIX, name))
        return show(param.kind, params[param.key])
      })

    const write = (name: string, text: string): Effect.Effect<void, DamonError> =>
      Effect.suspend(() => {
        if (name === "kdamond_pid" || [...hotStatsTable, ...coldStatsTable].some(([n]) => n === name)) {
          return Effect.fail(readOnlyParam(PREFIX, name))
        }
        if (name === "enabled" || name === "commit_inputs") {
          const yes = store(PREFIX, name === "enabled" ? ENABLED : COMMIT_INPUTS, text)
          if (Result.isFailure(yes)) return Effect.fail(yes.failure)
          if (name === "enabled") return yes.success === true ? enable : disable
          return yes.success === true ? applyInputs : Effect.void
        }
        const param = inputTable.find((p) => p.name === name)
        if (param === undefined) return Effect.fail(noSuchParam(PREFIX, name))
        const value = store(PREFIX, param, text)
        if (Result.isFailure(value)) return Effect.fail(value.failure)
        params = { ...params, [param.key]: value.success }
        return Effect.void
      }).pipe(Semaphore.withPermit(lock))

    const set = (patch: LruSortParamsInput): Effect.Effect<void, DamonError> =>
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
      ...hotStatsTable.map(([n]) => n),
      ...coldStatsTable.map(([n]) => n)
    ].sort()

    return DamonLruSort.of({
      params: Effect.sync(() => params),
      set,
      enabled: runtime.isRunning,
      enable: enable.pipe(Semaphore.withPermit(lock)),
      disable: disable.pipe(Semaphore.withPermit(lock)),
      commitInputs: applyInputs.pipe(Semaphore.withPermit(lock)),
      kdamondPid: runtime.pid,
      kdamond: Effect.sync(() => runtime.run()?.kdamond),
      stats: Effect.sync(() => shown),
      read,
      write,
      parameters
    })
  })

/** The DAMON_LRU_SORT layer; needs the `Damon` runtime (with a `paddr` ops set registered). */
export const layer = (options: DamonLruSortOptions): Layer.Layer<DamonLruSort, DamonError, Damon> =>
  Layer.effect(DamonLruSort, make(options))
