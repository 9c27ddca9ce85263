/**
 * A config as the file writes that describe it in the admin tree: what damo's `stage_kdamonds()`
 * writes for one context (`operations`, intervals, regions range, targets, schemes with their
 * quotas, goals, watermarks and filters), path by path, in the tree's creation order (every
 * `nr_*` file before the numbered directories it creates). The values are the tree's own
 * rendering of the config (`WriteConfig.contextFromConfig`, then each file's `show`), so they
 * read back as the same config. Pure.
 */
import * as Result from "effect/Result"
import { decodeConfig } from "../core/BuildCtx.ts"
import type { DamonError } from "../model/DamonError.ts"
import { adminDir, forEachFile, kernelOpsNames, operationsNames, resolve, type TreeEnv } from "../sysfs/Tree.ts"
import { newKdamond, newRoot } from "../sysfs/TreeState.ts"
import { contextFromConfig } from "../sysfs/WriteConfig.ts"

/** One file write: a path below the admin root and the text to write. */
export interface FileWrite {
  readonly path: string
  readonly value: string
}

/** The operations sets a tree names (the kernel's three). */
export const treeEnv: TreeEnv = { registeredOps: kernelOpsNames }

/** Whether a path is an `nr_*` file (writing one recreates the numbered directories below it). */
export const isCountFile = (path: string): boolean => /(^|\/)nr_(kdamonds|contexts|targets|regions|schemes|filters|goals|dests)$/.test(path)

/**
 * The writes that make `kdamonds/<kdamond>/contexts` describe `config` (any input `Damon.start`
 * accepts): `contexts/nr_contexts` first, then every writable file of `contexts/0`. Fails with
 * the config's first invalid field, or a part the tree cannot express.
 */
export const contextWrites = (
  config: unknown,
  kdamond: number,
  memcgs: Readonly<Record<string, number>> = {}
): Result.Result<Array<FileWrite>, DamonError> =>
  Result.gen(function*() {
    const source = yield* decodeConfig(config)
    const context = yield* contextFromConfig(source, operationsNames(treeEnv), memcgs)
    const root = newRoot()
    const k = newKdamond()
    k.contexts = [context]
    root.kdamonds = [k]
    const node = resolve(adminDir(treeEnv, root), ["kdamonds", "0", "contexts"])
    const writes: Array<FileWrite> = []
    if (node === undefined) return writes
    const prefix = `kdamonds/${kdamond}/contexts`
    forEachFile(node, prefix, (path, file) => {
      if (file.store === undefined || file.role !== undefined) return
      const shown = file.show()
      if (Result.isSuccess(shown)) writes.push({ path, value: shown.success.replace(/\n$/, "") })
    })
    return writes
  })
