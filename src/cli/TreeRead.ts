/**
 * Reading a kdamond's directory of an admin tree, local or remote, file by file as damo's
 * `current_kdamonds()` does: every file of `kdamonds/<K>/` with its text, and the config its
 * parameter files describe. The directory structure is taken from a local mirror: each writable
 * file read is stored into a fresh in-memory tree as it comes (an `nr_*` file first creates its
 * numbered directories there), so the walk knows which entry is a directory without asking, and
 * the mirror ends up describing the same config (`BuildConfig.buildConfig`).
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { buildConfig, type TreeConfig } from "../sysfs/BuildConfig.ts"
import { adminDir, type DirNode, resolve } from "../sysfs/Tree.ts"
import { newKdamond, newRoot } from "../sysfs/TreeState.ts"
import type { AdminTree, TreeError } from "./AdminTree.ts"
import { treeEnv } from "./TreeWrites.ts"

/** What was read of `kdamonds/<K>/`. */
export interface KdamondRead {
  readonly index: number
  /** `on` or `off`. */
  readonly state: string
  readonly pid: number
  /** Every file read, path (below the admin root) to its text without the trailing newline. */
  readonly files: ReadonlyMap<string, string>
  /** The config of `contexts/0`, or why there is none (no context, or a tree `on` would refuse). */
  readonly config: Result.Result<TreeConfig, DamonError>
}

/** Options of {@link readKdamond}. */
export interface ReadOptions {
  /** Also read the read-only files (stats, effective quotas, `avail_operations`). Default false. */
  readonly readOnly?: boolean
  /** Also read `tried_regions/` of every scheme. Default false. */
  readonly triedRegions?: boolean
}

const strip = (text: string): string => text.replace(/\n$/, "")

/** Reads `kdamonds/<index>/` of `tree` (see the module comment). */
export const readKdamond = (tree: AdminTree, index: number, options: ReadOptions = {}): Effect.Effect<KdamondRead, TreeError> =>
  Effect.gen(function*() {
    const base = `kdamonds/${index}`
    const files = new Map<string, string>()
    const state = strip(yield* tree.read(`${base}/state`))
    const pid = Number(strip(yield* tree.read(`${base}/pid`)))
    const root = newRoot()
    root.kdamonds = [newKdamond()]
    const contexts = resolve(adminDir(treeEnv, root), ["kdamonds", "0", "contexts"]) as DirNode

    const walk = (dir: DirNode, path: string): Effect.Effect<void, TreeError> =>
      Effect.gen(function*() {
        // Files first (an nr_* file stored here creates the directories listed next), then directories.
        for (const [name, node] of dir.entries()) {
          if (node.kind !== "file") continue
          if (node.store === undefined && options.readOnly !== true) continue
          const text = strip(yield* tree.read(`${path}/${name}`))
          files.set(`${path}/${name}`, text)
          if (node.store === undefined || node.role !== undefined) continue
          const parsed = node.store(text)
          if (Result.isSuccess(parsed)) parsed.success.run()
        }
        for (const [name, node] of dir.entries()) {
          if (node.kind !== "dir") continue
          if (name === "tried_regions" && options.triedRegions !== true) continue
          yield* walk(node, `${path}/${name}`)
        }
      })
    yield* walk(contexts, `${base}/contexts`)
    files.set(`${base}/state`, state)
    files.set(`${base}/pid`, String(pid))
    const context = root.kdamonds[0]!.contexts[0]
    const config = context === undefined
      ? Result.fail(missingContext(base))
      : buildConfig(context, `${base}/contexts/0`, { registeredOps: treeEnv.registeredOps, processExists: () => true, memcgs: {} })
    return { index, state, pid, files, config }
  })

const missingContext = (base: string): DamonError =>
  invalidArgument(`${base}/contexts/nr_contexts`, 0, "needs exactly one context (nothing is set up there)")

/** The number of kdamond directories (`kdamonds/nr_kdamonds`). */
export const nrKdamonds = (tree: AdminTree): Effect.Effect<number, TreeError> =>
  Effect.map(tree.read("kdamonds/nr_kdamonds"), (t) => Number(strip(t)))

/** Indices of the kdamonds whose `state` is `on`. */
export const runningKdamonds = (tree: AdminTree): Effect.Effect<Array<number>, TreeError> =>
  Effect.gen(function*() {
    const n = yield* nrKdamonds(tree)
    const running: Array<number> = []
    for (let i = 0; i < n; i++) if (strip(yield* tree.read(`kdamonds/${i}/state`)) === "on") running.push(i)
    return running
  })

/** A scheme's tried region, as `tried_regions/<N>/` shows it. */
export interface TriedRegionRead {
  readonly start: number
  readonly end: number
  readonly nrAccesses: number
  readonly age: number
  readonly szFilterPassed: number
}

/**
 * The `tried_regions/` of a scheme directory (`kdamonds/K/contexts/0/schemes/S`): its total
 * bytes and regions (read a few at a time: a server answers each file separately).
 */
export const readTriedRegions = (
  tree: AdminTree,
  schemeDir: string
): Effect.Effect<{ readonly totalBytes: number; readonly regions: ReadonlyArray<TriedRegionRead> }, TreeError> =>
  Effect.gen(function*() {
    const dir = `${schemeDir}/tried_regions`
    const names = (yield* tree.list(dir)).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b))
    const totalBytes = Number(strip(yield* tree.read(`${dir}/total_bytes`)))
    const num = (path: string) => Effect.map(tree.read(path), (t) => Number(strip(t)))
    const regions = yield* Effect.forEach(names, (n) =>
      Effect.all({
        start: num(`${dir}/${n}/start`),
        end: num(`${dir}/${n}/end`),
        nrAccesses: num(`${dir}/${n}/nr_accesses`),
        age: num(`${dir}/${n}/age`),
        szFilterPassed: num(`${dir}/${n}/sz_filter_passed`)
      }), { concurrency: 8 })
    return { totalBytes, regions }
  })
