/**
 * The `state` commands of the admin tree (`damon_sysfs_handle_cmd()`), the kdamond behind each
 * `kdamonds/<K>/` directory and its `refresh_ms` copies. Every command reaches the kdamond only
 * through the engine's public control API: `on` starts, `off` stops, the others are one
 * `damonCall` or `damosWalk` each.
 *
 * **Details**
 * The kernel holds `damon_sysfs_lock` for a command's whole duration, waits included, so a
 * `damos_walk()` for a scheme with a long apply interval makes every lock user fail `-EBUSY`
 * until it completes (the "tried regions hang"). Here only `on` and `off` hold the lock (they
 * change a kdamond's lifetime across suspensions); the other commands change the tree in one
 * synchronous step. A command that waits on its kdamond holds that kdamond's wait slot, which
 * only the same kdamond's other commands respect (`EBUSY`). So while it waits, reads, other
 * files, other kdamonds and `off` all proceed; `off` stops the kdamond, which cancels the wait
 * (`ECANCELED`). The wait is interruptible (the engine withdraws the `damonCall`/`damosWalk`)
 * and bounded by the writer's `timeout`.
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import type { Damon } from "../Damon.ts"
import type { Kdamond, KdamondOptions } from "../engine/Kdamond.ts"
import type { DamonError } from "../model/DamonError.ts"
import {
  commitSchemesQuotaGoals,
  schemesEffectiveQuotas,
  schemesStats,
  schemesTriedBytes,
  type SchemeTriedRegions,
  schemesTriedRegions,
  tunedIntervals
} from "../SchemesControl.ts"
import { buildAllGoals, buildConfig, type BuildOptions, translateEngineError } from "./BuildConfig.ts"
import type { StateCommand } from "./StateCommand.ts"
import type { SysfsSeam } from "./SysfsSeam.ts"
import { fault, type KernelErrno, toError } from "./SysfsError.ts"
import {
  clearTriedRegions,
  copyEffectiveQuotas,
  copyStats,
  copyTunedIntervals,
  populateTriedRegions
} from "./TreeCopy.ts"
import { addSize, checkGrowth, rootSize, TRIED_REGION_ENTRIES, type TreeLimits, type TreeSize, zeroSize } from "./TreeLimits.ts"
import type { AdminRoot, KdamondDir } from "./TreeState.ts"

/** The kdamond-side state of one `kdamonds/<K>/` directory (the kernel's `damon_sysfs_kdamond->damon_ctx`). */
export interface Runtime {
  /** The last started kdamond, kept after it stops until the next `on` (final results stay readable). */
  handle: Kdamond | undefined
  scope: Scope.Closeable | undefined
  refresh: Fiber.Fiber<void> | undefined
  /** Set while the refresh fiber waits for `refresh_ms` to become non-zero; completed by a write. */
  wake: Deferred.Deferred<void> | undefined
  /** Next refresh time, in milliseconds of Effect's Clock. */
  nextRefreshMs: number
  /** The command waiting on this kdamond (its wait slot), if any. */
  waiting: { readonly cmd: StateCommand } | undefined
  /** Schemes the kdamond was last given (`on`, `commit`), counted as listed directories. */
  committedSchemes: number
}

/** The global sysfs lock (`damon_sysfs_lock`), only ever try-taken. */
export interface SysfsLock {
  held: boolean
}

/** What the commands need from the tree service. */
export interface CommandsDeps {
  readonly damon: Damon["Service"]
  readonly layerScope: Scope.Scope
  readonly root: AdminRoot
  readonly lock: SysfsLock
  readonly limits: TreeLimits
  readonly buildOptions: BuildOptions
  /** The refresh's copy step (`SysfsSeam.ts`): shipped, or a test-only variant of the kit's tests. */
  readonly seam: SysfsSeam
  readonly startOptions: (index: number) => KdamondOptions
  readonly wrap: (kdamond: Kdamond, index: number) => Kdamond
}

export const LOCK_HELD = "a state command holds the sysfs lock"

/** Fails with the typed error for `errno` at `path` (writing `value`, or reading when `undefined`). */
export const failAt = (path: string, value: string | undefined, errno: KernelErrno, rule: string) =>
  Effect.fail(toError(path, value, fault(errno, rule)))

/** The commands of every kdamond directory of one tree, and the runtimes behind them. */
export const makeCommands = (deps: CommandsDeps) => {
  const { damon, lock, root, buildOptions } = deps
  const runtimes = new Map<KdamondDir, Runtime>()

  const runtimeOf = (k: KdamondDir): Runtime => {
    let rt = runtimes.get(k)
    if (rt === undefined) {
      rt = {
        handle: undefined,
        scope: undefined,
        refresh: undefined,
        wake: undefined,
        nextRefreshMs: 0,
        waiting: undefined,
        committedSchemes: 0
      }
      runtimes.set(k, rt)
    }
    return rt
  }

  const isRunning = (rt: Runtime | undefined): Effect.Effect<boolean> =>
    rt?.handle === undefined ? Effect.succeed(false) : rt.handle.isRunning

  /**
   * The tree's size against its limits: the records, plus the schemes a kdamond was given beyond
   * its directory's current count (a metrics scrape lists the running ones).
   */
  const treeSize = (): TreeSize => {
    let extra = 0
    for (const k of root.kdamonds) {
      const rt = runtimes.get(k)
      const inTree = k.contexts.reduce((n, c) => n + c.schemes.length, 0)
      if (rt !== undefined && rt.committedSchemes > inTree) extra += rt.committedSchemes - inTree
    }
    return addSize(rootSize(root), { ...zeroSize, listed: extra })
  }

  /** Runs `effect` holding the sysfs lock, uninterruptibly, or fails `EBUSY` (`mutex_trylock()`). */
  const withLock = <A>(path: string, value: string | undefined, effect: Effect.Effect<A, DamonError>) =>
    Effect.uninterruptible(
      Effect.suspend(() => {
        if (lock.held) return failAt(path, value, "EBUSY", LOCK_HELD)
        lock.held = true
        return effect.pipe(Effect.ensuring(Effect.sync(() => void (lock.held = false))))
      })
    )

  /** Drops a kdamond's (stopped) context: the refresh fiber, the scope, the handle. */
  const destroyCtx = (rt: Runtime): Effect.Effect<void> =>
    Effect.gen(function*() {
      if (rt.refresh !== undefined) yield* Fiber.interrupt(rt.refresh)
      if (rt.scope !== undefined) yield* Scope.close(rt.scope, Exit.void)
      rt.refresh = undefined
      rt.scope = undefined
      rt.handle = undefined
      rt.committedSchemes = 0
    })

  // --- The refresh (damon_sysfs_repeat_call_fn) ----------------------------------------------

  /**
   * While the kdamond runs and `refresh_ms` is not 0: every `refresh_ms`, one `damonCall` that
   * (unless the sysfs lock is held) copies tuned intervals, scheme stats and effective quotas
   * into the tree. Ends when the kdamond stops.
   */
  const refreshLoop = (kd: KdamondDir, rt: Runtime, k: Kdamond): Effect.Effect<void> =>
    Effect.gen(function*() {
      while (true) {
        const ms = kd.refreshMs
        if (ms === 0) {
          const wake = Deferred.makeUnsafe<void>()
          rt.wake = wake
          yield* Deferred.await(wake)
          continue
        }
        const now = yield* Clock.currentTimeMillis
        if (now < rt.nextRefreshMs) {
          yield* Effect.sleep(rt.nextRefreshMs - now)
          continue
        }
        rt.nextRefreshMs = now + ms
        const served = yield* k.damonCall((ctx) => {
          // mutex_trylock() inside the repeat call: skip silently while the lock is held.
          if (!lock.held) deps.seam.refresh(kd, ctx)
        }).pipe(Effect.as(true), Effect.catch(() => Effect.succeed(false)))
        if (!served) return
      }
    })

  /** A write to `refresh_ms`: a refresh fiber parked on `refresh_ms` 0 looks again. */
  const wakeRefresh = (kd: KdamondDir): void => {
    const rt = runtimeOf(kd)
    const wake = rt.wake
    rt.wake = undefined
    if (wake !== undefined) Deferred.doneUnsafe(wake, Effect.void)
  }

  // --- on / off --------------------------------------------------------------------------------

  const turnOn = (index: number, kd: KdamondDir, rt: Runtime, path: string, cmd: string) =>
    Effect.gen(function*() {
      if (yield* isRunning(rt)) return yield* failAt(path, cmd, "EBUSY", `kdamond ${index} is already running`)
      yield* destroyCtx(rt)
      const at = `kdamonds/${index}/contexts/0`
      const config = buildConfig(kd.contexts[0]!, at, buildOptions)
      if (config._tag === "Failure") return yield* Effect.fail(config.failure)
      const scope = yield* Scope.fork(deps.layerScope)
      const start = damon.start(config.success, { ...deps.startOptions(index), exclusive: false })
      const started = yield* Effect.exit(Scope.provide(scope)(start))
      if (Exit.isFailure(started)) {
        yield* Scope.close(scope, Exit.void)
        return yield* Effect.failCause(started.cause).pipe(Effect.mapError((e) => translateEngineError(at, e)))
      }
      const k = deps.wrap(started.value, index)
      rt.handle = k
      rt.scope = scope
      rt.committedSchemes = config.success.schemes.length
      rt.nextRefreshMs = (yield* Clock.currentTimeMillis) + kd.refreshMs
      rt.refresh = yield* Effect.forkIn(refreshLoop(kd, rt, k), scope, { startImmediately: true })
    })

  const turnOff = (index: number, rt: Runtime | undefined, path: string, cmd: string) =>
    Effect.gen(function*() {
      if (rt?.handle === undefined) return yield* failAt(path, cmd, "EINVAL", `kdamond ${index} was never turned on`)
      const stopped = toError(path, cmd, { errno: "EPERM", rule: `kdamond ${index} is not running` })
      yield* rt.handle.stop.pipe(Effect.mapError(() => stopped))
      if (rt.refresh !== undefined) yield* Fiber.interrupt(rt.refresh)
      rt.refresh = undefined
      rt.committedSchemes = 0
    })

  // --- Commands that wait on the kdamond ----------------------------------------------------

  /**
   * Runs `wait` in `rt`'s wait slot: interruptible (the engine withdraws its request), bounded
   * by `timeout` (then `ECANCELED`), the slot freed however it ends.
   */
  const inWaitSlot = <A>(
    rt: Runtime,
    cmd: StateCommand,
    path: string,
    timeout: Duration.Duration | undefined,
    wait: Effect.Effect<A, DamonError>
  ): Effect.Effect<A, DamonError> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const slot = { cmd }
        rt.waiting = slot
        const withdrawn = () =>
          failAt(path, cmd, "ECANCELED", `withdrawn: no answer within the writer's timeout (${Duration.format(timeout!)})`)
        const bounded = timeout === undefined || !Duration.isFinite(timeout)
          ? wait
          : Effect.timeoutOrElse(wait, { duration: timeout, orElse: withdrawn })
        return restore(bounded).pipe(Effect.ensuring(Effect.sync(() => {
          if (rt.waiting === slot) rt.waiting = undefined
        })))
      })
    )

  /**
   * Errors of `damonCall`/`damosWalk`/`commit`, named by the `state` path: a stopped kdamond or
   * a cancelled walk is `ECANCELED` (R2), a second walk `EBUSY`; config errors name the tree path.
   */
  const mapCallError = (at: string, path: string, cmd: string) => (e: DamonError): DamonError => {
    const tag = e.reason._tag
    if (tag === "NotRunning" || tag === "Canceled") return toError(path, cmd, fault("ECANCELED", e.message))
    if (tag === "Busy") return toError(path, cmd, fault("EBUSY", e.message))
    return translateEngineError(at, e)
  }

  const requireCtx = (index: number, rt: Runtime, path: string, cmd: string): Effect.Effect<Kdamond, DamonError> =>
    rt.handle === undefined ? failAt(path, cmd, "EINVAL", `kdamond ${index} was never turned on`) : Effect.succeed(rt.handle)

  const requireRunning = (k: Kdamond, index: number, path: string, cmd: string): Effect.Effect<void, DamonError> =>
    Effect.flatMap(k.isRunning, (running) =>
      running ? Effect.void : failAt(path, cmd, "ECANCELED", `kdamond ${index} is not running`))

  /** The tried-regions copy, if the tree has room for it (`ENOMEM` otherwise, the directories left cleared). */
  const populate = (
    kd: KdamondDir,
    tried: ReadonlyArray<SchemeTriedRegions>,
    bytesOnly: boolean,
    path: string,
    cmd: string
  ): Effect.Effect<void, DamonError> =>
    Effect.suspend(() => {
      const dirs = kd.contexts[0]?.schemes ?? []
      if (!bytesOnly) {
        let added = 0
        const n = Math.min(dirs.length, tried.length)
        for (let i = 0; i < n; i++) added += tried[i]!.regions.length - dirs[i]!.triedRegions.regions.length
        const f = checkGrowth(treeSize(), { ...zeroSize, entries: added * TRIED_REGION_ENTRIES }, deps.limits)
        if (f !== undefined) return failAt(path, cmd, f.errno, `the tried regions do not fit: ${f.rule}`)
      }
      populateTriedRegions(dirs, tried, bytesOnly)
      return Effect.void
    })

  /**
   * `damon_sysfs_handle_cmd()` for one keyword, after `state_store()` found it. `on` and `off`
   * run under the sysfs lock; the others wait in the kdamond's wait slot (`EBUSY` while another
   * command of the same kdamond waits; `off` never does).
   */
  const run = (
    index: number,
    kd: KdamondDir,
    cmd: StateCommand,
    path: string,
    timeout: Duration.Duration | undefined
  ): Effect.Effect<void, DamonError> =>
    Effect.gen(function*() {
      if (cmd === "off") return yield* withLock(path, cmd, turnOff(index, runtimes.get(kd), path, cmd))
      const rt = runtimeOf(kd)
      if (rt.waiting !== undefined) {
        return yield* failAt(path, cmd, "EBUSY", `kdamond ${index} is waiting for ${rt.waiting.cmd}`)
      }
      const c = kd.contexts[0]
      if (kd.contexts.length !== 1 || c === undefined) {
        const rule = `needs exactly one context (contexts/nr_contexts is ${kd.contexts.length})`
        return yield* failAt(path, cmd, "EINVAL", rule)
      }
      const at = `kdamonds/${index}/contexts/0`
      const mapErr = mapCallError(at, path, cmd)
      const wait = <A>(effect: Effect.Effect<A, DamonError>) =>
        inWaitSlot(rt, cmd, path, timeout, effect.pipe(Effect.mapError(mapErr)))
      switch (cmd) {
        case "on":
          return yield* withLock(path, cmd, turnOn(index, kd, rt, path, cmd))
        case "clear_schemes_tried_regions":
          return clearTriedRegions(c.schemes)
        case "commit": {
          const k = yield* requireCtx(index, rt, path, cmd)
          yield* requireRunning(k, index, path, cmd)
          const config = buildConfig(c, at, buildOptions)
          if (config._tag === "Failure") return yield* Effect.fail(config.failure)
          yield* wait(k.commit(config.success))
          rt.committedSchemes = config.success.schemes.length
          return
        }
        case "commit_schemes_quota_goals": {
          const k = yield* requireCtx(index, rt, path, cmd)
          yield* requireRunning(k, index, path, cmd)
          const goals = buildAllGoals(c, at, buildOptions)
          if (goals._tag === "Failure") return yield* Effect.fail(goals.failure)
          return yield* wait(commitSchemesQuotaGoals(k, goals.success))
        }
        case "update_schemes_stats": {
          const stats = yield* wait(Effect.flatMap(requireCtx(index, rt, path, cmd), schemesStats))
          return copyStats(kd.contexts[0]?.schemes ?? [], stats)
        }
        case "update_schemes_effective_quotas": {
          const eszs = yield* wait(Effect.flatMap(requireCtx(index, rt, path, cmd), schemesEffectiveQuotas))
          return copyEffectiveQuotas(kd.contexts[0]?.schemes ?? [], eszs)
        }
        case "update_tuned_intervals": {
          const intervals = yield* wait(Effect.flatMap(requireCtx(index, rt, path, cmd), tunedIntervals))
          const dir = kd.contexts[0]
          if (dir !== undefined) copyTunedIntervals(dir.attrs, intervals)
          return
        }
        case "update_schemes_tried_bytes":
        case "update_schemes_tried_regions": {
          const k = yield* requireCtx(index, rt, path, cmd)
          const bytesOnly = cmd === "update_schemes_tried_bytes"
          // The kernel clears first (damon_sysfs_schemes_clear_regions()), then walks.
          clearTriedRegions(c.schemes)
          const tried = yield* wait(
            bytesOnly
              ? Effect.map(schemesTriedBytes(k), (totals) =>
                totals.map((totalBytes): SchemeTriedRegions => ({ regions: [], totalBytes })))
              : schemesTriedRegions(k)
          )
          return yield* populate(kd, tried, bytesOnly, path, cmd)
        }
      }
    })

  return { runtimes, runtimeOf, isRunning, treeSize, withLock, destroyCtx, wakeRefresh, run }
}
