/**
 * From a context directory of the admin tree to the engine's config input: what `on` starts and
 * `commit` commits. Mirrors `damon_sysfs_build_ctx()` / `damon_sysfs_apply_inputs()` in
 * `mm/damon/sysfs.c` and `damon_sysfs_add_schemes()` in `mm/damon/sysfs-schemes.c`, in the
 * kernel's order (operations, addr_unit, attrs, targets, schemes), with every error naming the
 * tree path and the value. Pure: no kdamond is touched; does not check what depends on a running
 * context (the engine's commit does).
 */
import { Result } from "effect"
import * as Attrs from "../model/Attrs.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { Filter, QuotaGoal, SchemeConfig } from "../model/Damos.ts"
import { isPowerOfTwo, UINT_MAX, ULONG_MAX_SAFE } from "../internal/uint.ts"
import { sysfsStreq, U32_MAX } from "./Kstrtox.ts"
import type { ContextDir, FilterDir, SchemeDir, ULRange } from "./TreeState.ts"

/** What building needs from outside the tree. */
export interface BuildOptions {
  /** Registered operations set ids (`damon_select_ops()` fails for others). */
  readonly registeredOps: ReadonlyArray<string>
  /** Whether a pid names a live process (`find_get_pid()`); asked for `vaddr`/`fvaddr` targets. */
  readonly processExists: (pid: number) => boolean
  /** Memory cgroups by path (as `cgroup_path()` prints it) to id. */
  readonly memcgs: Readonly<Record<string, number>>
}

/** One target of a {@link TreeConfig}. */
export interface TreeTarget {
  readonly pid: number | null
  readonly regions: ReadonlyArray<{ readonly start: number; readonly end: number }>
  readonly obsolete: boolean
}

/** The engine config input a context directory describes (accepted by `Damon.start` and `Kdamond.commit`). */
export interface TreeConfig {
  readonly ops: string
  readonly attrs: {
    readonly sampleIntervalUs: number
    readonly aggrIntervalUs: number
    readonly opsUpdateIntervalUs: number
    readonly intervalsGoal: {
      readonly accessBp: number
      readonly aggrs: number
      readonly minSampleUs: number
      readonly maxSampleUs: number
    }
    readonly minNrRegions: number
    readonly maxNrRegions: number
  }
  readonly targets: ReadonlyArray<TreeTarget>
  readonly schemes: ReadonlyArray<SchemeConfig>
  readonly addrUnit: number
  readonly minRegionSz: number
}

/** `DAMON_MIN_REGION_SZ` (`PAGE_SIZE`). */
export const DAMON_MIN_REGION_SZ = 4096

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

const bad = (path: string, value: unknown, rule: string): Result.Result<never, DamonError> =>
  Result.fail(invalidArgument(path, value, rule))

/**
 * An `unsigned long` the library can hold exactly, or an `InvalidArgument` naming the path: the
 * tree keeps any u64, but a value above 2^53-1 cannot be honoured inside and is never truncated.
 */
export const safe = (path: string, v: bigint): Result.Result<number, DamonError> =>
  v > MAX_SAFE
    ? bad(path, v, "cannot be honoured: larger than 9007199254740991 (2^53-1), the largest value held exactly")
    : Result.succeed(Number(v))

/** A value the kernel stores in an `unsigned int` field; above `UINT_MAX` it is refused, not truncated. */
const u32 = (path: string, v: bigint): Result.Result<number, DamonError> =>
  v > U32_MAX
    ? bad(path, v, "cannot be honoured: the kernel keeps this bound in an unsigned int and would truncate it")
    : Result.succeed(Number(v))

/**
 * An upper bound (access pattern maxima, addr filter end, hugepage filter max): the kernel's "no
 * limit" (`ULONG_MAX`, or anything at least the library's widest bound) maps to the library's
 * widest bound, which no value it compares against can exceed.
 */
const upper = (v: bigint, widest: number): number => (v >= BigInt(widest) ? widest : Number(v))

/** The memcg id of a memcg path as written (one trailing newline tolerated, like `sysfs_streq()`). */
export const memcgIdOf = (memcgs: Readonly<Record<string, number>>, path: string | null): number | undefined => {
  if (path === null) return undefined
  for (const [p, id] of Object.entries(memcgs)) if (sysfsStreq(p, path)) return id
  return undefined
}

const memcgOf = (
  memcgs: Readonly<Record<string, number>>,
  path: string | null,
  at: string
): Result.Result<number, DamonError> => {
  const id = memcgIdOf(memcgs, path)
  if (id !== undefined) return Result.succeed(id)
  return path === null
    ? bad(at, "", "is not set: a memcg filter or goal needs a memory cgroup path")
    : bad(at, path, "names no memory cgroup (damon_sysfs_memcg_path_to_id)")
}

const attrsPath: Readonly<Record<string, string>> = {
  "attrs.sampleIntervalUs": "monitoring_attrs/intervals/sample_us",
  "attrs.aggrIntervalUs": "monitoring_attrs/intervals/aggr_us",
  "attrs.opsUpdateIntervalUs": "monitoring_attrs/intervals/update_us",
  "attrs.intervalsGoal.accessBp": "monitoring_attrs/intervals/intervals_goal/access_bp",
  "attrs.intervalsGoal.aggrs": "monitoring_attrs/intervals/intervals_goal/aggrs",
  "attrs.intervalsGoal.minSampleUs": "monitoring_attrs/intervals/intervals_goal/min_sample_us",
  "attrs.intervalsGoal.maxSampleUs": "monitoring_attrs/intervals/intervals_goal/max_sample_us",
  "attrs.minNrRegions": "monitoring_attrs/nr_regions/min",
  "attrs.maxNrRegions": "monitoring_attrs/nr_regions/max"
}

/**
 * Renames an engine `InvalidArgument` about config field `f` (e.g. `schemes[1].wmarks.mid`) to
 * the tree path under the context directory `at`; other errors pass through.
 */
export const translateEngineError = (at: string, error: DamonError): DamonError => {
  const r = error.reason
  if (r._tag !== "InvalidArgument") return error
  const f = r.field
  const mapped = attrsPath[f]
  let path: string
  if (mapped !== undefined) path = `${at}/${mapped}`
  else if (f === "ops") path = `${at}/operations`
  else if (f === "addrUnit" || f === "minRegionSz") path = `${at}/addr_unit (${f})`
  else {
    const region = /^targets\[(\d+)\]\.regions\[(\d+)\]\.(start|end)$/.exec(f)
    const indexed = /^(targets|schemes)\[(\d+)\](.*)$/.exec(f)
    if (region !== null) path = `${at}/targets/${region[1]}/regions/${region[2]}/${region[3]}`
    else if (indexed !== null) {
      const rest = indexed[3] === "" ? "" : ` (${indexed[3].slice(1)})`
      path = `${at}/${indexed[1]}/${indexed[2]}${rest}`
    }
    else path = `${at} (${f})`
  }
  return invalidArgument(path, r.value, r.rule)
}

const buildAttrs = (c: ContextDir, at: string): Result.Result<TreeConfig["attrs"], DamonError> =>
  Result.gen(function*() {
    const a = c.attrs
    const p = `${at}/monitoring_attrs`
    const attrs = {
      sampleIntervalUs: yield* safe(`${p}/intervals/sample_us`, a.sampleUs),
      aggrIntervalUs: yield* safe(`${p}/intervals/aggr_us`, a.aggrUs),
      opsUpdateIntervalUs: yield* safe(`${p}/intervals/update_us`, a.updateUs),
      intervalsGoal: {
        accessBp: yield* safe(`${p}/intervals/intervals_goal/access_bp`, a.goal.accessBp),
        aggrs: yield* safe(`${p}/intervals/intervals_goal/aggrs`, a.goal.aggrs),
        minSampleUs: yield* safe(`${p}/intervals/intervals_goal/min_sample_us`, a.goal.minSampleUs),
        maxSampleUs: yield* safe(`${p}/intervals/intervals_goal/max_sample_us`, a.goal.maxSampleUs)
      },
      minNrRegions: yield* safe(`${p}/nr_regions/min`, a.nrRegions.min),
      maxNrRegions: yield* safe(`${p}/nr_regions/max`, a.nrRegions.max)
    }
    // damon_set_attrs() rules, in the kernel's order.
    const error = Attrs.check({ ...Attrs.defaults, ...attrs })
    if (error !== undefined) return yield* Result.fail(translateEngineError(at, error))
    return attrs
  })

const buildTargets = (c: ContextDir, at: string, options: BuildOptions): Result.Result<Array<TreeTarget>, DamonError> =>
  Result.gen(function*() {
    // "Multiple physical address space monitoring targets makes no sense."
    if (c.operations === "paddr" && c.targets.length > 1) {
      return yield* bad(`${at}/targets/nr_targets`, c.targets.length, "paddr accepts at most one target")
    }
    const hasPid = c.operations === "vaddr" || c.operations === "fvaddr"
    const out: Array<TreeTarget> = []
    for (let i = 0; i < c.targets.length; i++) {
      const t = c.targets[i]!
      const tp = `${at}/targets/${i}`
      if (hasPid && !(t.pid > 0 && options.processExists(t.pid))) {
        return yield* bad(`${tp}/pid_target`, t.pid, "names no live process (find_get_pid)")
      }
      const regions: Array<{ start: number; end: number }> = []
      for (let j = 0; j < t.regions.length; j++) {
        const r = t.regions[j]!
        const rp = `${tp}/regions/${j}`
        if (r.start > r.end) return yield* bad(`${rp}/start`, r.start, `must be <= end (${r.end})`)
        const prev = t.regions[j - 1]
        if (prev !== undefined && prev.end > r.start) {
          const rule = `must be >= the end of region ${j - 1} (${prev.end}): regions must be sorted and non-overlapping`
          return yield* bad(`${rp}/start`, r.start, rule)
        }
        if (r.start === r.end) {
          return yield* bad(`${rp}/end`, r.end, `must be > start (${r.start}): empty regions are refused`)
        }
        regions.push({ start: yield* safe(`${rp}/start`, r.start), end: yield* safe(`${rp}/end`, r.end) })
      }
      out.push({ pid: hasPid ? t.pid : null, regions, obsolete: t.obsolete })
    }
    return out
  })

const buildRange = (
  r: ULRange,
  at: string,
  widest: number,
  lower: (path: string, v: bigint) => Result.Result<number, DamonError>
): Result.Result<readonly [number, number], DamonError> =>
  Result.gen(function*() {
    const min = yield* lower(`${at}/min`, r.min)
    const max = upper(r.max, widest)
    if (min > max) {
      return yield* bad(`${at}/min`, r.min, `must be <= max (${r.max}): a scheme with min > max matches nothing`)
    }
    return [min, max] as const
  })

const buildGoals = (
  s: SchemeDir,
  sp: string,
  ops: string,
  options: BuildOptions
): Result.Result<Array<QuotaGoal>, DamonError> =>
  Result.gen(function*() {
    const goals: Array<QuotaGoal> = []
    for (let j = 0; j < s.quotas.goals.length; j++) {
      const g = s.quotas.goals[j]!
      const gp = `${sp}/quotas/goals/${j}`
      // damos_sysfs_add_quota_score(): goals without a target value are skipped.
      if (g.targetValue === 0n) continue
      const targetValue = yield* safe(`${gp}/target_value`, g.targetValue)
      let currentValue = 0
      let nid = 0
      let memcgId = 0
      switch (g.metric) {
        case "user_input":
          currentValue = yield* safe(`${gp}/current_value`, g.currentValue)
          break
        case "node_mem_used_bp":
        case "node_mem_free_bp":
          nid = g.nid
          break
        case "node_memcg_used_bp":
        case "node_memcg_free_bp":
          memcgId = yield* memcgOf(options.memcgs, g.path, `${gp}/path`)
          nid = g.nid
          break
        case "node_eligible_mem_bp":
          if (ops !== "paddr") {
            return yield* bad(`${gp}/target_metric`, g.metric, `needs the paddr operations set (operations is ${ops})`)
          }
          nid = g.nid
          break
        default:
          break
      }
      goals.push({ metric: g.metric, targetValue, currentValue, nid, memcgId })
    }
    return goals
  })

/** The quota goals of every scheme directory, for `commit_schemes_quota_goals`. */
export const buildAllGoals = (
  c: ContextDir,
  at: string,
  options: BuildOptions
): Result.Result<Array<Array<QuotaGoal>>, DamonError> =>
  Result.gen(function*() {
    const out: Array<Array<QuotaGoal>> = []
    for (let i = 0; i < c.schemes.length; i++) {
      out.push(yield* buildGoals(c.schemes[i]!, `${at}/schemes/${i}`, c.operations, options))
    }
    return out
  })

const buildFilter = (f: FilterDir, fp: string, options: BuildOptions): Result.Result<Filter, DamonError> =>
  Result.gen(function*() {
    const base = { matching: f.matching, allow: f.allow }
    switch (f.type) {
      case "memcg":
        return { type: "memcg", ...base, memcgId: yield* memcgOf(options.memcgs, f.memcgPath, `${fp}/memcg_path`) }
      case "addr": {
        if (f.addrEnd < f.addrStart) {
          return yield* bad(`${fp}/addr_end`, f.addrEnd, `must be >= addr_start (${f.addrStart})`)
        }
        const addrRange = {
          start: yield* safe(`${fp}/addr_start`, f.addrStart),
          // An end at or above 2^53-1 covers every address the library can hold: "no limit".
          end: upper(f.addrEnd, ULONG_MAX_SAFE)
        }
        return { type: "addr", ...base, addrRange }
      }
      case "target":
        if (f.targetIdx < 0) {
          return yield* bad(`${fp}/damon_target_idx`, f.targetIdx, "must be >= 0: a negative index matches no target")
        }
        return { type: "target", ...base, targetIdx: f.targetIdx }
      case "hugepage_size": {
        if (f.min > f.max) return yield* bad(`${fp}/min`, f.min, `must be <= max (${f.max})`)
        const szRange = { min: yield* safe(`${fp}/min`, f.min), max: upper(f.max, ULONG_MAX_SAFE) }
        return { type: "hugepage_size", ...base, szRange }
      }
      default:
        return { type: f.type, ...base }
    }
  })

const buildScheme = (
  s: SchemeDir,
  sp: string,
  ops: string,
  options: BuildOptions
): Result.Result<SchemeConfig, DamonError> =>
  Result.gen(function*() {
    const ap = `${sp}/access_pattern`
    const [minSz, maxSz] = yield* buildRange(s.accessPattern.sz, `${ap}/sz`, ULONG_MAX_SAFE, safe)
    const [minAcc, maxAcc] = yield* buildRange(s.accessPattern.nrAccesses, `${ap}/nr_accesses`, UINT_MAX, u32)
    const [minAge, maxAge] = yield* buildRange(s.accessPattern.age, `${ap}/age`, UINT_MAX, u32)
    const q = s.quotas
    const quota = {
      resetIntervalMs: yield* safe(`${sp}/quotas/reset_interval_ms`, q.resetIntervalMs),
      ms: yield* safe(`${sp}/quotas/ms`, q.ms),
      sz: yield* safe(`${sp}/quotas/bytes`, q.sz),
      goals: yield* buildGoals(s, sp, ops, options),
      goalTuner: q.goalTuner,
      weightSz: q.weights.sz,
      weightNrAccesses: q.weights.nrAccesses,
      weightAge: q.weights.age
    }
    const w = s.watermarks
    const wp = `${sp}/watermarks`
    const wmarks = {
      metric: w.metric,
      intervalUs: yield* safe(`${wp}/interval_us`, w.intervalUs),
      high: yield* safe(`${wp}/high`, w.high),
      mid: yield* safe(`${wp}/mid`, w.mid),
      low: yield* safe(`${wp}/low`, w.low)
    }
    if (w.metric !== "none") {
      if (w.mid > w.high) return yield* bad(`${wp}/mid`, w.mid, `must be <= high (${w.high})`)
      if (w.low > w.mid) return yield* bad(`${wp}/low`, w.low, `must be <= mid (${w.mid})`)
    }
    // Filters are added core_filters, then ops_filters, then filters (damon_sysfs_mk_scheme()).
    const filters: Array<Filter> = []
    const dirs = [["core_filters", s.coreFilters], ["ops_filters", s.opsFilters], ["filters", s.filters]] as const
    for (const [name, dir] of dirs) {
      for (let j = 0; j < dir.items.length; j++) {
        filters.push(yield* buildFilter(dir.items[j]!, `${sp}/${name}/${j}`, options))
      }
    }
    const dests: Array<{ nid: number; weight: number }> = []
    for (let j = 0; j < s.dests.length; j++) {
      const d = s.dests[j]!
      if (d.id > 0x7fff_ffff) return yield* bad(`${sp}/dests/${j}/id`, d.id, "must be a node id <= 2147483647")
      dests.push({ nid: d.id, weight: d.weight })
    }
    return {
      pattern: {
        minSzRegion: minSz,
        maxSzRegion: maxSz,
        minNrAccesses: minAcc,
        maxNrAccesses: maxAcc,
        minAgeRegion: minAge,
        maxAgeRegion: maxAge
      },
      action: s.action,
      applyIntervalUs: yield* safe(`${sp}/apply_interval_us`, s.applyIntervalUs),
      quota,
      wmarks,
      targetNid: s.targetNid,
      dests,
      filters,
      maxNrSnapshots: yield* safe(`${sp}/stats/max_nr_snapshots`, s.stats.maxNrSnapshots)
    }
  })

/**
 * Builds the engine config of a context directory `c` found at tree path `at` (for example
 * `kdamonds/0/contexts/0`); the first problem is an `InvalidArgument` naming its file and value.
 *
 * **Details**
 * Mirrors `damon_sysfs_apply_inputs()`: `damon_select_ops()` (unregistered id: `EINVAL`);
 * `addr_unit`, with `min_region_sz = max(4096 / addr_unit, 1)` for paddr only; the
 * `damon_set_attrs()` rules; `damon_sysfs_add_targets()` (paddr with more than one target, a
 * vaddr/fvaddr pid naming no live process, a region with `start > end` or overlapping the
 * previous one: `EINVAL`); `damon_sysfs_add_schemes()` (goals with a zero target value skipped;
 * `current_value` used for `user_input` only, `nid` for node metrics, `path` plus `nid` for
 * memcg metrics; memcg paths resolved through `options.memcgs`; an addr filter with
 * `addr_end < addr_start` or a hugepage filter with `min > max` refused).
 *
 * **Gotchas**
 * A few rules are the library's, not the kernel's, and are reported here by path: empty regions,
 * access-pattern `min > max`, watermarks with `mid > high` or `low > mid` (metric not `none`),
 * a negative `damon_target_idx`, a destination id above `INT_MAX`, `node_eligible_mem_bp` outside
 * paddr, and any value above 2^53-1 (upper bounds excepted: access-pattern maxima, the addr
 * filter's `addr_end` and the hugepage filter's `max` saturate to "no limit"). The kernel reports scheme-level
 * failures as `ENOMEM` (`damon_sysfs_mk_scheme()` returns NULL); here they are `EINVAL`.
 */
export const buildConfig = (c: ContextDir, at: string, options: BuildOptions): Result.Result<TreeConfig, DamonError> =>
  Result.gen(function*() {
    if (!options.registeredOps.includes(c.operations)) {
      const registered = options.registeredOps.join(", ") || "none"
      const rule = `is not a registered operations set (registered: ${registered})`
      return yield* bad(`${at}/operations`, c.operations, rule)
    }
    const addrUnit = yield* safe(`${at}/addr_unit`, c.addrUnit)
    // addr_unit is respected by only DAMON_OPS_PADDR.
    const minRegionSz = c.operations === "paddr"
      ? Math.max(Math.floor(DAMON_MIN_REGION_SZ / addrUnit), 1)
      : DAMON_MIN_REGION_SZ
    if (!isPowerOfTwo(minRegionSz)) {
      const rule = `gives min_region_sz ${minRegionSz} (4096 / addr_unit), which is not a power of two`
      return yield* bad(`${at}/addr_unit`, c.addrUnit, rule)
    }
    const attrs = yield* buildAttrs(c, at)
    const targets = yield* buildTargets(c, at, options)
    const schemes: Array<SchemeConfig> = []
    for (let i = 0; i < c.schemes.length; i++) {
      schemes.push(yield* buildScheme(c.schemes[i]!, `${at}/schemes/${i}`, c.operations, options))
    }
    return { ops: c.operations, attrs, targets, schemes, addrUnit, minRegionSz }
  })
