/**
 * Keeps Node's compile cache from growing without end. Node never removes an entry, and every
 * run of the suite adds some: vitest imports each test file under a fresh `?vitest=<time>` URL,
 * so their entries (about 300 a run) are never used again, and a clone at another path adds its
 * own. The cache is only a cache: an entry removed is compiled again when next needed.
 */
import { readdirSync, rmSync, statSync } from "node:fs"
import { join } from "node:path"

/**
 * In each of `dir`'s subdirectories (one per Node version and flags) holding more than
 * `maxEntries` entries, removes the oldest by modification time down to half of that. Returns
 * how many were removed. A missing `dir` is an empty cache.
 */
export const trimCompileCache = (dir: string, maxEntries: number): number => {
  let removed = 0
  let subdirs: Array<string>
  try {
    subdirs = readdirSync(dir)
  } catch {
    return 0
  }
  for (const sub of subdirs) {
    const path = join(dir, sub)
    let names: Array<string>
    try {
      names = readdirSync(path)
    } catch {
      continue // not a directory
    }
    if (names.length <= maxEntries) continue
    const byAge = names
      .map((name) => ({ name, mtimeMs: statSync(join(path, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
      .sort((a, b) => a.mtimeMs - b.mtimeMs)
    for (const { name } of byAge.slice(0, names.length - Math.floor(maxEntries / 2))) {
      rmSync(join(path, name), { force: true, recursive: true })
      removed++
    }
  }
  return removed
}
