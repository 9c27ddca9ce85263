/**
 * The DAMON sysfs admin tree as an Effect service: `/sys/kernel/mm/damon/admin` in-process, with
 * the kernel's paths, file formats, defaults, `state` keywords and errnos, and every `state`
 * command served through the engine's public control API the way `mm/damon/sysfs.c` uses the
 * core API since Linux 6.14: `on` starts (`damon_start()`, non-exclusive), `off` stops, `commit`
 * and the copy commands go through `damonCall`, tried regions through `damosWalk`. Nothing else
 * reaches a kdamond. Also a typed view: a kdamond's tree as the engine's config object and back.
 * Does not emulate the VFS beyond what sysfs files show (no open files, no offsets, no inotify).
 */
import { Clock, Context, Deferred, Effect, Exit, Fiber, Layer, Result, Scope } from "effect"
import { decodeConfig } from "../core/BuildCtx.ts"
import { Damon } from "../Damon.ts"
import type { Kdamond, KdamondOptions } from "../engine/Kdamond.ts"
import type { DamonError } from "../model/DamonError.ts"
import {
  commitSchemesQuotaGoals,
  schemesEffectiveQuotas,
  schemesStats,
  schemesTriedBytes,
  schemesTriedRegions,
  tunedIntervals
} from "../SchemesControl.ts"
import { buildAllGoals, buildConfig, type BuildOptions, type TreeConfig, translateEngineError } from "./BuildConfig.ts"
import { parseStateCommand, type StateCommand, stateCommands } from "./StateCommand.ts"
import { type Fault, fault, type KernelErrno, toError } from "./SysfsError.ts"
import { SysfsSeam } from "./SysfsSeam.ts"
import { adminDir, type FileNode, type Mode, type Node, operationsNames, resolve, type TreeEnv } from "./Tree.ts"
import {
  clearTriedRegions,
  copyEffectiveQuotas,
  copyStats,
  copyTunedIntervals,
  populateTriedRegions
} from "./TreeCopy.ts"
import { type ContextDir, type KdamondDir, newRoot } from "./TreeState.ts"
import { contextFromConfig } from "./WriteConfig.ts"

/** What `stat` tells about a path. */
export type Stat = { readonly kind: "dir" } | { readonly kind: "file"; readonly mode: Mode }

/** Options of the admin tree layer. */
export interface SysfsOptions {
  /**
   * Options of the kdamonds `on` starts (time mode, seed, ...); a function gets the kdamond's
   * index. `on` always starts non-exclusively, as the kernel's sysfs does.
   */
  readonly start?: KdamondOptions | ((kdamond: number) => KdamondOptions)
  /**
   * Whether a pid names a live process, asked for every `vaddr`/`fvaddr` target at `on` and
   * `commit` (the kernel's `find_get_pid()`). Defaults to "every pid > 0 exists".
   */
  readonly processExists?: (pid: number) => boolean
  /** Memory cgroups by path (as `cgroup_path()` prints it, e.g. `/workload`) to id. Defaults to none. */
  readonly memcgs?: Readonly<Record<string, number>>
  /**
   * Test seam: wraps each kdamond handle `on` obtains. Every `state` command and the refresh reach
   * the kdamond only through the returned handle, so a recording proxy sees all of it.
   */
  readonly wrapKdamond?: (kdamond: Kdamond, index: number) => Kdamond
}

/** The admin tree. Paths are relative to `/sys/kernel/mm/damon/admin` (e.g. `kdamonds/0/state`). */
export class Sysfs extends Context.Service<Sysfs, {
  /**
   * Reads a file: the text the kernel shows, trailing newline included. `ENOENT` outside the
   * tree, `EISDIR` for a directory, `EBUSY` for the files whose `show` try-takes the sysfs lock
   * (`state`, `pid`, `memcg_path`, goal `path`) while a `state` command runs.
   */
  readonly read: (path: string) => Effect.Effect<string, DamonError>
  /**
   * Writes a file, as `echo text > file` does: parameter files change only the tree (a running
   * kdamond sees them after `commit`); `nr_*` files recreate their numbered directories with
   * defaults; `state` runs a command. Errors carry the kernel's errno and change nothing.
   */
  readonly write: (path: string, text: string) => Effect.Effect<void, DamonError>
  /** The entries of a directory, in the kernel's creation order (files, then subdirectories). */
  readonly list: (path: string) => Effect.Effect<ReadonlyArray<string>, DamonError>
  /** Whether a path is a directory or a file, and the file's mode (0600 or 0400). */
  readonly stat: (path: string) => Effect.Effect<Stat, DamonError>
  /**
   * The engine config kdamond `index`'s tree describes: what `on` would start (`Damon.start`
   * accepts it). Fails like `on` would for a tree it cannot start.
   */
  readonly readConfig: (index: number) => Effect.Effect<TreeConfig, DamonError>
  /**
   * Rewrites kdamond `index`'s `contexts/` to describe `config` (any input `Damon.start`
   * accepts): `nr_contexts` becomes 1 and `contexts/0` is recreated from scratch. Nothing is
   * written if the config is invalid or cannot be expressed; `EBUSY` while a `state` command runs.
   */
  readonly writeConfig: (index: number, config: unknown) => Effect.Effect<void, DamonError>
  /**
   * The kdamond handle behind each `kdamonds/<K>/` directory, in index order: the running one, or
   * the last stopped one (kept until the next `on`), or `undefined` if none. Read-only, for
   * monitoring the monitor (metrics) through the engine's public API; never takes the lock.
   */
  readonly kdamonds: Effect.Effect<ReadonlyArray<KdamondEntry>>
}>()("effect-damon/sysfs/Sysfs") {}

/** One `kdamonds/<K>/` directory and the kdamond handle it holds, if any. */
export interface KdamondEntry {
  readonly index: number
  readonly kdamond: Kdamond | undefined
}

/** The kdamond-side state of one `kdamonds/<K>/` directory (the kernel's `damon_sysfs_kdamond->damon_ctx`). */
interface Runtime {
  /** The last started kdamond, kept after it stops until the next `on` (final results stay readable). */
  handle: Kdamond | undefined
  scope: Scope.Closeable | undefined
  refresh: Fiber.Fiber<void> | undefined
  /** Set while the refresh fiber waits for `refresh_ms` to become non-zero; completed by a write. */
  wake: Deferred.Deferred<void> | undefined
  /** Next refresh time, in milliseconds of Effect's Clock. */
  nextRefreshMs: number
}

const admin = "/sys/kernel/mm/damon/admin"

/** Splits a relative path; absolute paths and `.`/`..` segments are outside the tree. */
const parsePath = (path: string): Result.Result<ReadonlyArray<string>, DamonError> => {
  if (path.startsWith("/")) {
    return Result.fail(toError(path, undefined, fault("ENOENT", `paths are relative to ${admin}`)))
  }
  const segments = path.split("/").filter((s) => s !== "")
  if (segments.some((s) => s === "." || s === "..")) {
    return Result.fail(toError(path, undefined, fault("ENOENT", "'.' and '..' lead outside the admin tree")))
  }
  return Result.succeed(segments)
}

/**
 * The pieces a `write(2)` loop hands to a sysfs `store`: kernfs passes at most `PAGE_SIZE` bytes
 * per call (`kernfs_fop_write_iter()`), and a writer retries the short write with the rest.
 */
const pages = (text: string): ReadonlyArray<string> => {
  const bytes = new TextEncoder().encode(text)
  if (bytes.length <= PAGE_SIZE) return [text]
  const out: Array<string> = []
  const decoder = new TextDecoder()
  for (let i = 0; i < bytes.length; i += PAGE_SIZE) out.push(decoder.decode(bytes.subarray(i, i + PAGE_SIZE)))
  return out
}

/** Fails with the typed error for `errno` at `path` (writing `value`, or reading when `undefined`). */
const failAt = (path: string, value: string | undefined, errno: KernelErrno, rule: string) =>
  Effect.fail(toError(path, value, fault(errno, rule)))

const LOCK_HELD = "a state command holds the sysfs lock"

/** `PAGE_SIZE`: the most kernfs hands to one sysfs `store` call. */
const PAGE_SIZE = 4096


/**
 * Builds the admin tree over the `Damon` runtime; kdamonds it starts live in child scopes of the
 * layer's scope, so releasing the layer stops them.
 */
export const make = (options: SysfsOptions = {}): Effect.Effect<Sysfs["Service"], never, Damon | Scope.Scope> =>
  Effect.gen(function*() {
    const damon = yield* Damon
    const seam = yield* SysfsSeam
    const layerScope = yield* Scope.Scope
    const root = newRoot()
    const env: TreeEnv = { registeredOps: damon.opsIds }
    const buildOptions: BuildOptions = {
      registeredOps: damon.opsIds,
      processExists: options.processExists ?? ((pid) => pid > 0),
      memcgs: options.memcgs ?? {}
    }
    const wrap = options.wrapKdamond ?? ((k: Kdamond) => k)
    const startOptions = (index: number): KdamondOptions =>
      typeof options.start === "function" ? options.start(index) : (options.start ?? {})
    const runtimes = new Map<KdamondDir, Runtime>()
    // damon_sysfs_lock: taken (try-lock) by state commands for their whole duration.
    let locked = false

    const view = (): Node => adminDir(env, root)

    const runtimeOf = (k: KdamondDir): Runtime => {
      let rt = runtimes.get(k)
      if (rt === undefined) {
        rt = { handle: undefined, scope: undefined, refresh: undefined, wake: undefined, nextRefreshMs: 0 }
        runtimes.set(k, rt)
      }
      return rt
    }

    const isRunning = (rt: Runtime | undefined): Effect.Effect<boolean> =>
      rt?.handle === undefined ? Effect.succeed(false) : rt.handle.isRunning

    /** Drops a kdamond's (stopped) context: the refresh fiber, the scope, the handle. */
    const destroyCtx = (rt: Runtime): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (rt.refresh !== undefined) yield* Fiber.interrupt(rt.refresh)
        if (rt.scope !== undefined) yield* Scope.close(rt.scope, Exit.void)
        rt.refresh = undefined
        rt.scope = undefined
        rt.handle = undefined
      })

    /** Runs `effect` holding the sysfs lock, or fails `EBUSY` (the kernel's `mutex_trylock()`). */
    const withLock = <A>(path: string, value: string | undefined, effect: Effect.Effect<A, DamonError>) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          if (locked) return failAt(path, value, "EBUSY", LOCK_HELD)
          locked = true
          return restore(effect).pipe(Effect.ensuring(Effect.sync(() => void (locked = false))))
        })
      )

    const fromResult = <A>(r: Result.Result<A, DamonError>): Effect.Effect<A, DamonError> =>
      Result.isSuccess(r) ? Effect.succeed(r.success) : Effect.fail(r.failure)

    const locate = (
      path: string
    ): Effect.Effect<{ readonly segments: ReadonlyArray<string>; readonly node: Node }, DamonError> =>
      Effect.suspend(() => {
        const segments = parsePath(path)
        if (Result.isFailure(segments)) return Effect.fail(segments.failure)
        const node = resolve(view(), segments.success)
        return node === undefined
          ? Effect.fail(toError(path, undefined, fault("ENOENT", "no such file or directory in the admin tree")))
          : Effect.succeed({ segments: segments.success, node })
      })

    /** The `kdamonds/<K>/` directory a `state`/`pid`/`refresh_ms` path belongs to. */
    const kdamondAt = (segments: ReadonlyArray<string>): { readonly index: number; readonly dir: KdamondDir } => {
      const index = Number(segments[1])
      return { index, dir: root.kdamonds[index]! }
    }

    // --- The refresh (damon_sysfs_repeat_call_fn) ------------------------------------------------

    /**
     * While the kdamond runs and `refresh_ms` is not 0: every `refresh_ms`, one `damonCall` that
     * (unless a state command holds the lock) copies tuned intervals, scheme stats and effective
     * quotas into the tree. Ends when the kdamond stops.
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
            // mutex_trylock() inside the repeat call: skip silently while a command runs.
            if (!locked) seam.refresh(kd, ctx)
          }).pipe(Effect.as(true), Effect.catch(() => Effect.succeed(false)))
          if (!served) return
        }
      })

    const wakeRefresh = (rt: Runtime): void => {
      const wake = rt.wake
      rt.wake = undefined
      if (wake !== undefined) Deferred.doneUnsafe(wake, Effect.void)
    }

    // --- state commands (damon_sysfs_handle_cmd) -----------------------------------------------

    const requireCtx = (index: number, rt: Runtime, path: string, cmd: string): Effect.Effect<Kdamond, DamonError> =>
      rt.handle === undefined
        ? Effect.fail(toError(path, cmd, fault("EINVAL", `kdamond ${index} was never turned on`)))
        : Effect.succeed(rt.handle)

    /**
     * Errors of `damonCall`/`damosWalk`/`commit`: a stopped kdamond is `ECANCELED` (R2), config
     * errors name the tree path.
     */
    const mapCallError = (at: string, path: string, cmd: string) => (e: DamonError): DamonError => {
      if (e.reason._tag === "NotRunning") return toError(path, cmd, fault("ECANCELED", e.message))
      return translateEngineError(at, e)
    }

    const requireRunning = (k: Kdamond, index: number, path: string, cmd: string): Effect.Effect<void, DamonError> =>
      Effect.flatMap(k.isRunning, (running) =>
        running ? Effect.void : Effect.fail(toError(path, cmd, fault("ECANCELED", `kdamond ${index} is not running`))))

    const turnOn = (index: number, kd: KdamondDir, c: ContextDir, path: string, cmd: string) =>
      Effect.gen(function*() {
        const rt = runtimeOf(kd)
        if (yield* isRunning(rt)) return yield* failAt(path, cmd, "EBUSY", `kdamond ${index} is already running`)
        yield* destroyCtx(rt)
        const at = `kdamonds/${index}/contexts/0`
        const config = yield* fromResult(buildConfig(c, at, buildOptions))
        const scope = yield* Scope.fork(layerScope)
        const start = damon.start(config, { ...startOptions(index), exclusive: false })
        const started = yield* Effect.exit(Scope.provide(scope)(start))
        if (Exit.isFailure(started)) {
          yield* Scope.close(scope, Exit.void)
          return yield* Effect.failCause(started.cause).pipe(Effect.mapError((e) => translateEngineError(at, e)))
        }
        const k = wrap(started.value, index)
        rt.handle = k
        rt.scope = scope
        rt.nextRefreshMs = (yield* Clock.currentTimeMillis) + kd.refreshMs
        rt.refresh = yield* Effect.forkIn(refreshLoop(kd, rt, k), scope, { startImmediately: true })
      })

    const turnOff = (index: number, kd: KdamondDir, path: string, cmd: string) =>
      Effect.gen(function*() {
        const rt = runtimes.get(kd)
        if (rt?.handle === undefined) return yield* failAt(path, cmd, "EINVAL", `kdamond ${index} was never turned on`)
        const stopped = toError(path, cmd, fault("EPERM", `kdamond ${index} is not running`))
        yield* rt.handle.stop.pipe(Effect.mapError(() => stopped))
        if (rt.refresh !== undefined) yield* Fiber.interrupt(rt.refresh)
        rt.refresh = undefined
      })

    const handleCommand = (
      index: number,
      kd: KdamondDir,
      cmd: StateCommand,
      path: string
    ): Effect.Effect<void, DamonError> =>
      Effect.gen(function*() {
        const c = kd.contexts[0]
        if (cmd !== "off" && (kd.contexts.length !== 1 || c === undefined)) {
          const rule = `needs exactly one context (contexts/nr_contexts is ${kd.contexts.length})`
          return yield* failAt(path, cmd, "EINVAL", rule)
        }
        const at = `kdamonds/${index}/contexts/0`
        const rt = runtimeOf(kd)
        const mapErr = mapCallError(at, path, cmd)
        switch (cmd) {
          case "on":
            return yield* turnOn(index, kd, c!, path, cmd)
          case "off":
            return yield* turnOff(index, kd, path, cmd)
          case "clear_schemes_tried_regions":
            return clearTriedRegions(c!.schemes)
          case "commit": {
            const k = yield* requireCtx(index, rt, path, cmd)
            yield* requireRunning(k, index, path, cmd)
            const config = yield* fromResult(buildConfig(c!, at, buildOptions))
            return yield* k.commit(config).pipe(Effect.mapError(mapErr))
          }
          case "commit_schemes_quota_goals": {
            const k = yield* requireCtx(index, rt, path, cmd)
            yield* requireRunning(k, index, path, cmd)
            const goals = yield* fromResult(buildAllGoals(c!, at, buildOptions))
            return yield* commitSchemesQuotaGoals(k, goals).pipe(Effect.mapError(mapErr))
          }
          case "update_schemes_stats": {
            const k = yield* requireCtx(index, rt, path, cmd)
            const stats = yield* schemesStats(k).pipe(Effect.mapError(mapErr))
            return copyStats(kd.contexts[0]?.schemes ?? [], stats)
          }
          case "update_schemes_effective_quotas": {
            const k = yield* requireCtx(index, rt, path, cmd)
            const eszs = yield* schemesEffectiveQuotas(k).pipe(Effect.mapError(mapErr))
            return copyEffectiveQuotas(kd.contexts[0]?.schemes ?? [], eszs)
          }
          case "update_tuned_intervals": {
            const k = yield* requireCtx(index, rt, path, cmd)
            const intervals = yield* tunedIntervals(k).pipe(Effect.mapError(mapErr))
            const dir = kd.contexts[0]
            if (dir !== undefined) copyTunedIntervals(dir.attrs, intervals)
            return
          }
          case "update_schemes_tried_bytes":
          case "update_schemes_tried_regions": {
            const k = yield* requireCtx(index, rt, path, cmd)
            const bytesOnly = cmd === "update_schemes_tried_bytes"
            clearTriedRegions(c!.schemes)
            const tried = yield* (bytesOnly
              ? Effect.map(schemesTriedBytes(k), (totals) => totals.map((totalBytes) => ({ regions: [], totalBytes })))
              : schemesTriedRegions(k)).pipe(Effect.mapError(mapErr))
            return populateTriedRegions(kd.contexts[0]?.schemes ?? [], tried, bytesOnly)
          }
        }
      })

    /** `state_store()`: try-lock, keyword, then the command while holding the lock. */
    const writeState = (segments: ReadonlyArray<string>, path: string, text: string) =>
      withLock(
        path,
        text,
        Effect.suspend(() => {
          const { index, dir } = kdamondAt(segments)
          const cmd = parseStateCommand(text)
          if (cmd === undefined) {
            return failAt(path, text, "EINVAL", `unknown keyword (expected one of ${stateCommands.join(", ")})`)
          }
          return handleCommand(index, dir, cmd, path)
        })
      )

    /** `nr_kdamonds_store()`: `EBUSY` while any kdamond runs; removed kdamonds lose their contexts. */
    const writeNrKdamonds = (file: FileNode, path: string, text: string) =>
      Effect.gen(function*() {
        const apply = yield* fromResult(Result.mapError(file.store!(text), (f) => toError(path, text, f)))
        yield* withLock(
          path,
          text,
          Effect.gen(function*() {
            for (const k of root.kdamonds) {
              if (yield* isRunning(runtimes.get(k))) {
                return yield* Effect.fail(toError(path, text, fault("EBUSY", "a kdamond is running")))
              }
            }
            const before = [...root.kdamonds]
            const f = apply.run()
            if (f !== undefined) return yield* Effect.fail(toError(path, text, f))
            for (const k of before) {
              const rt = runtimes.get(k)
              if (rt !== undefined) yield* destroyCtx(rt)
              runtimes.delete(k)
            }
          })
        )
      })

    const writeFile = (
      segments: ReadonlyArray<string>,
      file: FileNode,
      path: string,
      text: string
    ): Effect.Effect<void, DamonError> =>
      Effect.suspend(() => {
        const parsed = file.store!(text)
        if (Result.isFailure(parsed)) return Effect.fail(toError(path, text, parsed.failure))
        const apply = parsed.success
        if (apply.locked && locked) return failAt(path, text, "EBUSY", LOCK_HELD)
        const f: Fault | undefined = apply.run()
        if (f !== undefined) return Effect.fail(toError(path, text, f))
        if (file.role === "refresh_ms") wakeRefresh(runtimeOf(kdamondAt(segments).dir))
        return Effect.void
      })

    // --- The service -------------------------------------------------------------------------

    const read = (path: string): Effect.Effect<string, DamonError> =>
      Effect.gen(function*() {
        const { segments, node } = yield* locate(path)
        if (node.kind === "dir") return yield* failAt(path, undefined, "EISDIR", "is a directory")
        if (node.showLocked && locked) return yield* failAt(path, undefined, "EBUSY", LOCK_HELD)
        if (node.role === "state" || node.role === "pid") {
          const rt = runtimes.get(kdamondAt(segments).dir)
          const running = yield* isRunning(rt)
          if (node.role === "state") return running ? "on\n" : "off\n"
          return running ? `${rt!.handle!.pid}\n` : "-1\n"
        }
        const shown = node.show()
        return Result.isSuccess(shown) ? shown.success : yield* Effect.fail(toError(path, undefined, shown.failure))
      })

    const write = (path: string, text: string): Effect.Effect<void, DamonError> =>
      Effect.gen(function*() {
        const { segments, node } = yield* locate(path)
        if (node.kind === "dir") return yield* failAt(path, text, "EISDIR", "is a directory")
        if (node.mode === 0o400) return yield* failAt(path, text, "EACCES", "read-only file (mode 0400)")
        // sysfs_kf_write(): an empty write stores nothing. Longer than a page: one store per page.
        if (text.length === 0) return
        for (const page of pages(text)) {
          if (node.role === "state") yield* writeState(segments, path, page)
          else if (node.role === "nr_kdamonds") yield* writeNrKdamonds(node, path, page)
          else yield* writeFile(segments, node, path, page)
        }
      })

    const list = (path: string): Effect.Effect<ReadonlyArray<string>, DamonError> =>
      Effect.flatMap(locate(path), ({ node }) =>
        node.kind === "dir"
          ? Effect.succeed(node.entries().map(([name]) => name))
          : Effect.fail(toError(path, undefined, fault("ENOTDIR", "is not a directory"))))

    const stat = (path: string): Effect.Effect<Stat, DamonError> =>
      Effect.map(
        locate(path),
        ({ node }): Stat => (node.kind === "dir" ? { kind: "dir" } : { kind: "file", mode: node.mode })
      )

    const kdamondDir = (index: number): Effect.Effect<KdamondDir, DamonError> =>
      Effect.suspend(() => {
        const k = Number.isInteger(index) ? root.kdamonds[index] : undefined
        return k === undefined
          ? failAt(`kdamonds/${index}`, undefined, "ENOENT", `there are ${root.kdamonds.length} kdamonds`)
          : Effect.succeed(k)
      })

    const readConfig = (index: number): Effect.Effect<TreeConfig, DamonError> =>
      Effect.flatMap(kdamondDir(index), (k) => {
        const c = k.contexts[0]
        if (k.contexts.length !== 1 || c === undefined) {
          const rule = `needs exactly one context (nr_contexts is ${k.contexts.length})`
          return failAt(`kdamonds/${index}/contexts/nr_contexts`, undefined, "EINVAL", rule)
        }
        return fromResult(buildConfig(c, `kdamonds/${index}/contexts/0`, buildOptions))
      })

    const writeConfig = (index: number, config: unknown): Effect.Effect<void, DamonError> =>
      Effect.flatMap(kdamondDir(index), (k) =>
        Effect.suspend(() => {
          if (locked) return failAt(`kdamonds/${index}/contexts`, undefined, "EBUSY", LOCK_HELD)
          const source = decodeConfig(config)
          if (Result.isFailure(source)) return Effect.fail(source.failure)
          const c = contextFromConfig(source.success, operationsNames(env), buildOptions.memcgs)
          if (Result.isFailure(c)) return Effect.fail(c.failure)
          k.contexts = [c.success]
          return Effect.void
        }))

    const kdamonds: Effect.Effect<ReadonlyArray<KdamondEntry>> = Effect.sync(() =>
      root.kdamonds.map((k, index) => ({ index, kdamond: runtimes.get(k)?.handle }))
    )

    return Sysfs.of({ read, write, list, stat, readConfig, writeConfig, kdamonds })
  })

/** The admin tree layer; needs the `Damon` runtime. */
export const layer = (options: SysfsOptions = {}): Layer.Layer<Sysfs, never, Damon> =>
  Layer.effect(Sysfs, make(options))
