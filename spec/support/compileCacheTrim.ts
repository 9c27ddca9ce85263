/**
 * Keeps Node's compile cache from growing without end. Node never removes an entry, and every
 * run of the suite adds some: vitest imports each test file under a fresh `?vitest=<time>` URL,
 * so their entries (about 300 a run) are never used again, and a clone at another path adds its
 * own. The cache is only a cache: an entry removed is compiled again when next needed.
 */
import { readdirSync, rmSync, statSync } from "node:fs"
import { join } from "node:path"

/** A subdirectory Node makes for one Node version, platform, flags and user (e.g. `v24.21.0-x64-964aae3f-0`). */
const cacheSubdir = /^v\d+\.\d+\.\d+-.+-[0-9a-f]{8}-\d+$/
/** An entry Node writes in it (a hash). */
const cacheEntry = /^[0-9a-f]{8}$/

/**
 * In each of `dir`'s subdirectories that Node made for this user (by its name and owner) holding
 * more than `maxEntries` entries, removes the least recently used entries down to half of that:
 * by the later of their access and modification times (Node writes an entry once and then only
 * reads it, so an entry the current checkout still uses is old by its modification time; file
 * systems mounted `relatime` still move the access time of an entry read a day or more after its
 * last access, and on `noatime` ones the order is the writing order). Only files named as Node
 * names its entries are removed; anything else, and anything that cannot be read or removed, is
 * left as it is: a trim never fails the run. Returns how many were removed.
 */
export const trimCompileCache = (dir: string, maxEntries: number): number => {
  let removed = 0
  for (const sub of namesIn(dir)) {
    if (!cacheSubdir.test(sub)) continue
    const path = join(dir, sub)
    const owner = statSync(path, { throwIfNoEntry: false })
    if (owner === undefined || !owner.isDirectory() || (process.getuid !== undefined && owner.uid !== process.getuid())) continue
    const names = namesIn(path).filter((name) => cacheEntry.test(name))
    if (names.length <= maxEntries) continue
    const byUse = names
      .map((name) => {
        const st = statSync(join(path, name), { throwIfNoEntry: false })
        return { name, isFile: st?.isFile() ?? false, usedMs: st === undefined ? 0 : Math.max(st.atimeMs, st.mtimeMs) }
      })
      .filter((e) => e.isFile)
      .sort((a, b) => a.usedMs - b.usedMs)
    for (const { name } of byUse.slice(0, Math.max(0, byUse.length - Math.floor(maxEntries / 2)))) {
      try {
        rmSync(join(path, name), { force: true })
        removed++
      } catch {
        // not ours to remove after all: left
      }
    }
  }
  return removed
}

/** The names in `dir`; none when it is missing or not readable. */
const namesIn = (dir: string): Array<string> => {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
