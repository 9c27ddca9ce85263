/**
 * damo's way of changing a kdamond through the admin tree: stage the parameters file by file
 * (`stage_kdamonds()`: an `nr_*` file is written only when the count changes, so directories
 * that stay are rewritten in place), then one `state` command (`on`, `commit`, `off`,
 * `update_schemes_stats`, ...). Works on any {@link AdminTree}: a server's or an in-process one.
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type { AdminTree, TreeError } from "./AdminTree.ts"
import { contextWrites, isCountFile } from "./TreeWrites.ts"

/** Writes `config` into `kdamonds/<kdamond>/contexts` (the kdamond directory must exist). */
export const stage = (tree: AdminTree, kdamond: number, config: unknown): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const writes = contextWrites(config, kdamond)
    if (Result.isFailure(writes)) return yield* Effect.fail(writes.failure)
    for (const w of writes.success) {
      if (isCountFile(w.path) && (yield* tree.read(w.path)).trim() === w.value) continue
      yield* tree.write(w.path, w.value)
    }
  })

/** Writes a `state` command of kdamond `kdamond`. */
export const command = (tree: AdminTree, kdamond: number, keyword: string): Effect.Effect<void, TreeError> =>
  tree.write(`kdamonds/${kdamond}/state`, keyword)

/** Makes `kdamonds/nr_kdamonds` `n` unless it already is (refused with EBUSY while any kdamond runs). */
export const ensureKdamonds = (tree: AdminTree, n: number): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    if (Number((yield* tree.read("kdamonds/nr_kdamonds")).trim()) === n) return
    yield* tree.write("kdamonds/nr_kdamonds", String(n))
  })
