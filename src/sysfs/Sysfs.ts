/**
 * The DAMON sysfs admin tree as an Effect service: `/sys/kernel/mm/damon/admin` in-process, with
 * the kernel's paths, file formats, defaults, `state` keywords and errnos, and every `state`
 * command served through the engine's public control API the way `mm/damon/sysfs.c` uses the
 * core API since Linux 6.14 (`Commands.ts`). Also a typed view: a kdamond's tree as the engine's
 * config object and back. The tree is bounded (`TreeLimits.ts`), a failed write changes nothing,
 * and every error is a `DamonError` with a bounded message. Does not emulate the VFS beyond what
 * sysfs files show (no open files, no offsets, no inotify).
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import { decodeConfig } from "../core/BuildCtx.ts"
import { Damon } from "../Damon.ts"
import type { Kdamond, KdamondOptions } from "../engine/Kdamond.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { buildConfig, type BuildOptions, type TreeConfig } from "./BuildConfig.ts"
import { failAt, LOCK_HELD, makeCommands, type SysfsLock } from "./Commands.ts"
import { pages, parsePath, timeoutOf, type WriteOptions } from "./FileInput.ts"
import { parseStateCommand, type StateCommand, stateCommands } from "./StateCommand.ts"
import { boundError, type Fault, fault, toError } from "./SysfsError.ts"
import { SysfsSeam } from "./SysfsSeam.ts"
import {
  adminDir,
  type Apply,
  type FileNode,
  forEachFile,
  type Mode,
  type Node,
  operationsNames,
  resolve,
  type TreeEnv
} from "./Tree.ts"
import {
  addSize,
  checkGrowth,
  contextSize,
  defaultLimits,
  replaceSize,
  rootSize,
  type TreeLimits,
  zeroSize
} from "./TreeLimits.ts"
import { type KdamondDir, newRoot } from "./TreeState.ts"
import { contextFromConfig } from "./WriteConfig.ts"

export type { WriteOptions } from "./FileInput.ts"

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
  /** The tree-wide limits (`docs/limits.md`); each one missing keeps its default. */
  readonly limits?: Partial<TreeLimits>
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
   * (`state`, `pid`, `memcg_path`, goal `path`) while `on` or `off` runs. Never waits.
   */
  readonly read: (path: string) => Effect.Effect<string, DamonError>
  /**
   * Writes a file, as `echo text > file` does: parameter files change only the tree (a running
   * kdamond sees them after `commit`); `nr_*` files recreate their numbered directories with
   * defaults; `state` runs a command. Errors carry the kernel's errno and change nothing: a
   * write longer than a page is checked page by page first, then stored (`Commands.ts` tells
   * how a waiting command is withdrawn).
   */
  readonly write: (path: string, text: string, options?: WriteOptions) => Effect.Effect<void, DamonError>
  /** The entries of a directory, in the kernel's creation order (files, then subdirectories). */
  readonly list: (path: string) => Effect.Effect<ReadonlyArray<string>, DamonError>
  /** Whether a path is a directory or a file, and the file's mode (0600 or 0400). */
  readonly stat: (path: string) => Effect.Effect<Stat, DamonError>
  /**
   * Every file at or below `path` ("" for the whole tree) with what `read` shows, depth first in
   * the kernel's creation order: `grep -r . admin` in one pass. Fails like `read` would.
   */
  readonly dump: (path: string) => Effect.Effect<ReadonlyArray<readonly [string, string]>, DamonError>
  /**
   * The engine config kdamond `index`'s tree describes: what `on` would start (`Damon.start`
   * accepts it). Fails like `on` would for a tree it cannot start.
   */
  readonly readConfig: (index: number) => Effect.Effect<TreeConfig, DamonError>
  /**
   * Rewrites kdamond `index`'s `contexts/` to describe `config` (any input `Damon.start`
   * accepts): `nr_contexts` becomes 1 and `contexts/0` is recreated from scratch. Nothing is
   * written if the config is invalid, cannot be expressed or does not fit the tree's limits;
   * `EBUSY` while `on` or `off` runs.
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

const fromResult = <A>(r: Result.Result<A, DamonError>): Effect.Effect<A, DamonError> =>
  Result.isSuccess(r) ? Effect.succeed(r.success) : Effect.fail(r.failure)

/**
 * Builds the admin tree over the `Damon` runtime; kdamonds it starts live in child scopes of the
 * layer's scope, so releasing the layer stops them.
 */
export const make = (options: SysfsOptions = {}): Effect.Effect<Sysfs["Service"], never, Damon | Scope.Scope> =>
  Effect.gen(function*() {
    const damon = yield* Damon
    const seam = yield* SysfsSeam
    const root = newRoot()
    const env: TreeEnv = { registeredOps: damon.opsIds }
    const buildOptions: BuildOptions = {
      registeredOps: damon.opsIds,
      processExists: options.processExists ?? ((pid) => pid > 0),
      memcgs: options.memcgs ?? {}
    }
    const limits: TreeLimits = { ...defaultLimits, ...options.limits }
    // damon_sysfs_lock: try-taken by `on`/`off`, structural writes and path files.
    const lock: SysfsLock = { held: false }
    const commands = makeCommands({
      damon,
      layerScope: yield* Scope.Scope,
      root,
      lock,
      limits,
      buildOptions,
      seam,
      startOptions: (index) => typeof options.start === "function" ? options.start(index) : (options.start ?? {}),
      wrap: options.wrapKdamond ?? ((k) => k)
    })

    const view = (): Node => adminDir(env, root)

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

    /** The fault of a store's growth against the limits, if it would exceed them. */
    const overLimit = (apply: Apply): Fault | undefined =>
      apply.growth === undefined ? undefined : checkGrowth(commands.treeSize(), apply.growth(), limits)

    // --- Writes ---------------------------------------------------------------------------------

    /** `state_store()`: try-lock, keyword (every page a keyword), then each command in turn. */
    const writeState = (
      segments: ReadonlyArray<string>,
      path: string,
      text: string,
      timeout: Duration.Duration | undefined
    ) =>
      Effect.gen(function*() {
        if (lock.held) return yield* failAt(path, text, "EBUSY", LOCK_HELD)
        const cmds: Array<StateCommand> = []
        for (const page of pages(text)) {
          const cmd = parseStateCommand(page)
          if (cmd === undefined) {
            return yield* failAt(path, page, "EINVAL", `unknown keyword (expected one of ${stateCommands.join(", ")})`)
          }
          cmds.push(cmd)
        }
        const { index, dir } = kdamondAt(segments)
        for (const cmd of cmds) yield* commands.run(index, dir, cmd, path, timeout)
      })

    /** `nr_kdamonds_store()`: `EBUSY` while any kdamond runs; removed kdamonds lose their contexts. */
    const writeNrKdamonds = (path: string, text: string, apply: Apply) =>
      commands.withLock(
        path,
        text,
        Effect.gen(function*() {
          for (const k of root.kdamonds) {
            if (yield* commands.isRunning(commands.runtimes.get(k))) {
              return yield* failAt(path, text, "EBUSY", "a kdamond is running")
            }
          }
          // Every kdamond directory is replaced: what their runtimes add (`treeSize`) goes with them.
          const f = apply.growth === undefined ? undefined : checkGrowth(rootSize(root), apply.growth(), limits)
          if (f !== undefined) return yield* Effect.fail(toError(path, text, f))
          const before = [...root.kdamonds]
          const failed = apply.run()
          if (failed !== undefined) return yield* Effect.fail(toError(path, text, failed))
          for (const k of before) {
            const rt = commands.runtimes.get(k)
            if (rt !== undefined) yield* commands.destroyCtx(rt)
            commands.runtimes.delete(k)
          }
        })
      )

    /**
     * A parameter, `nr_*` or path file: every page must parse, then the last page is stored
     * (what storing each page in turn leaves, since every store overwrites).
     */
    const writeFile = (
      segments: ReadonlyArray<string>,
      file: FileNode,
      path: string,
      written: string
    ): Effect.Effect<void, DamonError> =>
      Effect.suspend(() => {
        let apply: Apply | undefined
        let text = ""
        for (const page of pages(written)) {
          const parsed = file.store!(page)
          if (Result.isFailure(parsed)) return Effect.fail(toError(path, page, parsed.failure))
          apply = parsed.success
          text = page
        }
        const last = apply!
        if (file.role === "nr_kdamonds") return writeNrKdamonds(path, text, last)
        if (last.locked && lock.held) return failAt(path, text, "EBUSY", LOCK_HELD)
        const f = overLimit(last) ?? last.run()
        if (f !== undefined) return Effect.fail(toError(path, text, f))
        if (file.role === "refresh_ms") commands.wakeRefresh(kdamondAt(segments).dir)
        return Effect.void
      })

    const write = (path: string, text: string, writeOptions?: WriteOptions): Effect.Effect<void, DamonError> =>
      Effect.gen(function*() {
        if (typeof text !== "string") return yield* Effect.fail(invalidArgument("text", typeof text, "must be a string"))
        const timeout = yield* fromResult(timeoutOf(writeOptions))
        const { segments, node } = yield* locate(path)
        if (node.kind === "dir") return yield* failAt(path, text, "EISDIR", "is a directory")
        if (node.mode === 0o400) return yield* failAt(path, text, "EACCES", "read-only file (mode 0400)")
        // sysfs_kf_write(): an empty write stores nothing. Longer than a page: one store per page.
        if (text.length === 0) return
        if (node.role === "state") return yield* writeState(segments, path, text, timeout)
        return yield* writeFile(segments, node, path, text)
      }).pipe(Effect.mapError(boundError))

    // --- Reads ----------------------------------------------------------------------------------

    const show = (segments: ReadonlyArray<string>, path: string, file: FileNode): Effect.Effect<string, DamonError> =>
      Effect.gen(function*() {
        if (file.showLocked && lock.held) return yield* failAt(path, undefined, "EBUSY", LOCK_HELD)
        if (file.role === "state" || file.role === "pid") {
          const rt = commands.runtimes.get(kdamondAt(segments).dir)
          const running = yield* commands.isRunning(rt)
          if (file.role === "state") return running ? "on\n" : "off\n"
          return running ? `${rt!.handle!.pid}\n` : "-1\n"
        }
        const shown = file.show()
        return Result.isSuccess(shown) ? shown.success : yield* Effect.fail(toError(path, undefined, shown.failure))
      })

    const read = (path: string): Effect.Effect<string, DamonError> =>
      Effect.gen(function*() {
        const { segments, node } = yield* locate(path)
        if (node.kind === "dir") return yield* failAt(path, undefined, "EISDIR", "is a directory")
        return yield* show(segments, path, node)
      }).pipe(Effect.mapError(boundError))

    const dump = (path: string): Effect.Effect<ReadonlyArray<readonly [string, string]>, DamonError> =>
      Effect.gen(function*() {
        const { segments, node } = yield* locate(path)
        const out: Array<[string, string]> = []
        // `state` and `pid` need their kdamond; they are filled in after the walk.
        const later: Array<readonly [number, FileNode]> = []
        let fault: Fault | undefined
        forEachFile(node, segments.join("/"), (full, file) => {
          if (fault !== undefined) return
          if (file.showLocked && lock.held) fault = { errno: "EBUSY", rule: `${full}: ${LOCK_HELD}` }
          else if (file.role === "state" || file.role === "pid") {
            later.push([out.length, file])
            out.push([full, ""])
          } else {
            const shown = file.show()
            if (Result.isSuccess(shown)) out.push([full, shown.success])
            else fault = { errno: shown.failure.errno, rule: `${full}: ${shown.failure.rule}` }
          }
        })
        if (fault !== undefined) return yield* Effect.fail(toError(path, undefined, fault))
        for (const [i, file] of later) {
          const entry = out[i]!
          entry[1] = yield* show(entry[0].split("/"), entry[0], file)
        }
        return out
      }).pipe(Effect.mapError(boundError))

    const list = (path: string): Effect.Effect<ReadonlyArray<string>, DamonError> =>
      Effect.flatMap(locate(path), ({ node }) =>
        node.kind === "dir"
          ? Effect.succeed(node.entries().map(([name]) => name))
          : Effect.fail(toError(path, undefined, fault("ENOTDIR", "is not a directory")))).pipe(
          Effect.mapError(boundError)
        )

    const stat = (path: string): Effect.Effect<Stat, DamonError> =>
      Effect.map(
        locate(path),
        ({ node }): Stat => (node.kind === "dir" ? { kind: "dir" } : { kind: "file", mode: node.mode })
      ).pipe(Effect.mapError(boundError))

    // --- The typed view -------------------------------------------------------------------------

    const kdamondDir = (index: number): Effect.Effect<KdamondDir, DamonError> =>
      Effect.suspend(() => {
        const k = Number.isInteger(index) ? root.kdamonds[index] : undefined
        return k === undefined
          ? failAt(`kdamonds/${typeof index === "number" ? index : typeof index}`, undefined, "ENOENT", `there are ${root.kdamonds.length} kdamonds`)
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
      }).pipe(Effect.mapError(boundError))

    const writeConfig = (index: number, config: unknown): Effect.Effect<void, DamonError> =>
      Effect.flatMap(kdamondDir(index), (k) =>
        Effect.suspend(() => {
          const at = `kdamonds/${index}/contexts`
          if (lock.held) return failAt(at, undefined, "EBUSY", LOCK_HELD)
          const source = decodeConfig(config)
          if (Result.isFailure(source)) return Effect.fail(source.failure)
          const c = contextFromConfig(source.success, operationsNames(env), buildOptions.memcgs)
          if (Result.isFailure(c)) return Effect.fail(c.failure)
          const old = k.contexts.reduce((sum, x) => addSize(sum, contextSize(x)), zeroSize)
          const f = checkGrowth(commands.treeSize(), replaceSize(1, contextSize(c.success), old), limits)
          if (f !== undefined) return failAt(at, undefined, f.errno, `the config does not fit: ${f.rule}`)
          k.contexts = [c.success]
          return Effect.void
        })).pipe(Effect.mapError(boundError))

    const kdamonds: Effect.Effect<ReadonlyArray<KdamondEntry>> = Effect.sync(() =>
      root.kdamonds.map((k, index) => ({ index, kdamond: commands.runtimes.get(k)?.handle }))
    )

    return Sysfs.of({ read, write, list, stat, dump, readConfig, writeConfig, kdamonds })
  })

/** The admin tree layer; needs the `Damon` runtime. */
export const layer = (options: SysfsOptions = {}): Layer.Layer<Sysfs, never, Damon> =>
  Layer.effect(Sysfs, make(options))
