/**
 * The admin tree's resource limits and the accounting they are checked against: how many files
 * and directories the tree holds, how many kdamond and scheme directories a listing such as a
 * metrics scrape visits, and how much text the path files hold. Every write that grows the tree
 * is checked against these totals before it allocates anything, and refused with `ENOMEM` (what
 * the kernel's `kmalloc_array()`/`kobject_init_and_add()` return when a count cannot be
 * allocated). Pure: counts records, never the file view; does not decide when to check.
 */
import { type Fault, fault } from "./SysfsError.ts"
import type {
  AdminRoot,
  ContextDir,
  FilterDir,
  FiltersDir,
  GoalDir,
  KdamondDir,
  QuotasDir,
  RegionDir,
  SchemeDir,
  TargetDir
} from "./TreeState.ts"

/**
 * Largest count one `nr_*` file accepts; larger counts fail with `ENOMEM` before the tree-wide
 * limits are looked at (the kernel's `kmalloc_array()` of the directory pointers fails the same
 * way for counts it cannot allocate).
 */
export const MAX_NR_DIRS = 65536

/** The tree-wide limits of one admin tree (`SysfsOptions.limits` overrides them one by one). */
export interface TreeLimits {
  /** Files and directories in the whole tree, tried regions included (what `find admin` lists). */
  readonly maxEntries: number
  /**
   * Kdamond directories plus scheme directories (and schemes a running kdamond was given beyond
   * its directory's count): the rows one metrics scrape or per-scheme listing visits.
   */
  readonly maxListedDirs: number
  /** UTF-8 bytes held by every `memcg_path` and goal `path` file together. */
  readonly maxPathBytes: number
}

/** The default limits: see `docs/limits.md` for why each is what it is. */
export const defaultLimits: TreeLimits = {
  maxEntries: 1 << 20,
  maxListedDirs: 4096,
  maxPathBytes: 4 << 20
}

/** What a part of the tree costs against the limits. */
export interface TreeSize {
  readonly entries: number
  readonly listed: number
  readonly pathBytes: number
}

export const zeroSize: TreeSize = { entries: 0, listed: 0, pathBytes: 0 }

export const addSize = (a: TreeSize, b: TreeSize): TreeSize => ({
  entries: a.entries + b.entries,
  listed: a.listed + b.listed,
  pathBytes: a.pathBytes + b.pathBytes
})

/** `n` copies of `a` minus `b`: the change a rewrite of `n` fresh directories over `b` makes. */
export const replaceSize = (n: number, a: TreeSize, b: TreeSize): TreeSize => ({
  entries: n * a.entries - b.entries,
  listed: n * a.listed - b.listed,
  pathBytes: n * a.pathBytes - b.pathBytes
})

const sum = <A>(xs: ReadonlyArray<A>, f: (a: A) => TreeSize): TreeSize => {
  let entries = 0
  let listed = 0
  let pathBytes = 0
  for (const x of xs) {
    const s = f(x)
    entries += s.entries
    listed += s.listed
    pathBytes += s.pathBytes
  }
  return { entries, listed, pathBytes }
}

/** UTF-8 length of a string (lone surrogates count as the 3 bytes of U+FFFD, as `TextEncoder` writes them). */
export const utf8Length = (s: string): number => {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4
        i++
      } else n += 3
    } else n += 3
  }
  return n
}

const entries = (n: number): TreeSize => ({ entries: n, listed: 0, pathBytes: 0 })
const pathBytes = (p: string | null): number => (p === null ? 0 : utf8Length(p))

// Each numbered child directory is one entry plus what it holds; the constants below are the
// files and fixed subdirectories of `Tree.ts` (checked against the view in spec/sysfs/Limits).

/** `regions/<R>/`: the directory, `start`, `end`. */
export const regionSize = (_r: RegionDir): TreeSize => entries(3)

/** `targets/<T>/`: the directory, `pid_target`, `obsolete_target`, `regions/` and `nr_regions`, the regions. */
export const targetSize = (t: TargetDir): TreeSize => addSize(entries(5), sum(t.regions, regionSize))

/** `<filters>/<F>/`: the directory and its nine files. */
export const filterSize = (f: FilterDir): TreeSize => ({ entries: 10, listed: 0, pathBytes: pathBytes(f.memcgPath) })

/** `goals/<G>/`: the directory and its five files. */
export const goalSize = (g: GoalDir): TreeSize => ({ entries: 6, listed: 0, pathBytes: pathBytes(g.path) })

/** `dests/<D>/`: the directory, `id`, `weight`. */
export const destSize = (_d: { readonly id: number; readonly weight: number }): TreeSize => entries(3)

/** One tried region directory: the directory and its five files. */
export const TRIED_REGION_ENTRIES = 6

const filtersSize = (fs: FiltersDir): TreeSize => sum(fs.items, filterSize)
const quotasSize = (q: QuotasDir): TreeSize => sum(q.goals, goalSize)

/**
 * `schemes/<S>/`: the directory and its 50 fixed entries (files, `access_pattern/`, `quotas/`,
 * `watermarks/`, `stats/`, the filter and `dests/` directories with their `nr_*` files,
 * `tried_regions/total_bytes`), plus what the numbered directories hold; one listed directory.
 */
export const schemeSize = (s: SchemeDir): TreeSize =>
  addSize(
    { entries: 51 + s.triedRegions.regions.length * TRIED_REGION_ENTRIES, listed: 1, pathBytes: 0 },
    addSize(
      addSize(filtersSize(s.filters), addSize(filtersSize(s.coreFilters), filtersSize(s.opsFilters))),
      addSize(quotasSize(s.quotas), sum(s.dests, destSize))
    )
  )

/**
 * `contexts/<C>/`: the directory, `avail_operations`, `operations`, `addr_unit`,
 * `monitoring_attrs/` (13 entries), `targets/` and `schemes/` with their `nr_*` files.
 */
export const contextSize = (c: ContextDir): TreeSize =>
  addSize(entries(21), addSize(sum(c.targets, targetSize), sum(c.schemes, schemeSize)))

/** `kdamonds/<K>/`: the directory, `state`, `pid`, `refresh_ms`, `contexts/`, `nr_contexts`; one listed directory. */
export const kdamondSize = (k: KdamondDir): TreeSize =>
  addSize({ entries: 6, listed: 1, pathBytes: 0 }, sum(k.contexts, contextSize))

/** The whole tree: `kdamonds/`, `nr_kdamonds` and every kdamond directory. */
export const rootSize = (root: AdminRoot): TreeSize => addSize(entries(2), sum(root.kdamonds, kdamondSize))

/**
 * The fault of a change `delta` to a tree of size `current`, or `undefined` if the result is
 * within `limits`. Only growth is refused: a change that shrinks a total never fails.
 */
export const checkGrowth = (current: TreeSize, delta: TreeSize, limits: TreeLimits): Fault | undefined => {
  const after = addSize(current, delta)
  if (delta.entries > 0 && after.entries > limits.maxEntries) {
    return fault("ENOMEM", `the admin tree would hold ${after.entries} files and directories (limit ${limits.maxEntries})`)
  }
  if (delta.listed > 0 && after.listed > limits.maxListedDirs) {
    const rule = `the admin tree would hold ${after.listed} kdamond and scheme directories (limit ${limits.maxListedDirs})`
    return fault("ENOMEM", rule)
  }
  if (delta.pathBytes > 0 && after.pathBytes > limits.maxPathBytes) {
    return fault("ENOMEM", `path files would hold ${after.pathBytes} bytes (limit ${limits.maxPathBytes})`)
  }
  return undefined
}
