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
 * `maxEntries` entries, removes the least recently used down to half of that: by the later of
 * their access and modification times (Node writes an entry once and then only reads it, so an
 * entry the current checkout still uses is old by its modification time; file systems mounted
 * `relatime` still move the access time of an entry read a day or more after its last access).
 * Returns how many were removed. A missing `dir` is an empty cache.
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
    const byUse = names
      .map((name) => {
        const st = statSync(join(path, name), { throwIfNoEntry: false })
        return { name, usedMs: st === undefined ? 0 : Math.max(st.atimeMs, st.mtimeMs) }
      })
      .sort((a, b) => a.usedMs - b.usedMs)
    for (const { name } of byUse.slice(0, names.length - Math.floor(maxEntries / 2))) {
      rmSync(join(path, name), { force: true, recursive: true })
      removed++
    }
  }
  return removed
}
