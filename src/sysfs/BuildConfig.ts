/**
 * From a context directory of the admin tree to the engine's config input: what `on` starts and
 * `commit` commits. Mirrors `damon_sysfs_build_ctx()` / `damon_sysfs_apply_inputs()` in
 * `mm/damon/sysfs.c` and `damon_sysfs_add_schemes()` in `mm/damon/sysfs-schemes.c`, in the
 * kernel's order (operations, addr_unit, attrs, targets, schemes), with every error naming the
 * tree path and the value. Pure: no kdamond is touched; does not check what depends on a running
 * context (the engine's commit does).
 */
import * as Result from "effect/Result"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { Filter, QuotaGoal, SchemeConfig } from "../model/Damos.ts"
import { isPowerOfTwo } from "../internal/uint.ts"
import { sysfsStreq } from "./Kstrtox.ts"
import { address, goalValues, saturate, truncateU32 } from "./TreeNumbers.ts"
import type { AttrsDir, ContextDir, FilterDir, SchemeDir, ULRange } from "./TreeState.ts"

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

const bad = (path: string, value: unknown, rule: string): Result.Result<never, DamonError> =>
  Result.fail(invalidArgument(path, value, rule))

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

/**
 * The `damon_set_attrs()` rules on the values as written, in the kernel's order, so that a value
 * pair that saturates to equal numbers is judged as the kernel judges it.
 */
const checkAttrs = (a: AttrsDir, p: string): Result.Result<void, DamonError> => {
  const g = a.goal
  const gp = `${p}/intervals/intervals_goal`
  if (g.aggrs !== 0n) {
    if (g.minSampleUs > g.maxSampleUs) return bad(`${gp}/min_sample_us`, g.minSampleUs, `must be <= max_sample_us (${g.maxSampleUs})`)
    if (a.sampleUs < g.minSampleUs || a.sampleUs > g.maxSampleUs) {
      const rule = `must be within [min_sample_us, max_sample_us] = [${g.minSampleUs}, ${g.maxSampleUs}] while intervals_goal/aggrs != 0`
      return bad(`${p}/intervals/sample_us`, a.sampleUs, rule)
    }
  }
  const r = a.nrRegions
  if (r.min < 3n) return bad(`${p}/nr_regions/min`, r.min, "must be >= 3")
  if (r.min > r.max) return bad(`${p}/nr_regions/min`, r.min, `must be <= max (${r.max})`)
  if (a.sampleUs > a.aggrUs) return bad(`${p}/intervals/sample_us`, a.sampleUs, `must be <= aggr_us (${a.aggrUs})`)
  return Result.void
}

const buildAttrs = (c: ContextDir, at: string): Result.Result<TreeConfig["attrs"], DamonError> =>
  Result.gen(function*() {
    const a = c.attrs
    yield* checkAttrs(a, `${at}/monitoring_attrs`)
    // Every attribute saturates: an interval, bound or count of 2^53-1 is beyond what a run reaches.
    return {
      sampleIntervalUs: saturate(a.sampleUs),
      aggrIntervalUs: saturate(a.aggrUs),
      opsUpdateIntervalUs: saturate(a.updateUs),
      intervalsGoal: {
        accessBp: saturate(a.goal.accessBp),
        aggrs: saturate(a.goal.aggrs),
        minSampleUs: saturate(a.goal.minSampleUs),
        maxSampleUs: saturate(a.goal.maxSampleUs)
      },
      minNrRegions: saturate(a.nrRegions.min),
      maxNrRegions: saturate(a.nrRegions.max)
    }
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
        regions.push({ start: yield* address(`${rp}/start`, r.start), end: yield* address(`${rp}/end`, r.end) })
      }
      out.push({ pid: hasPid ? t.pid : null, regions, obsolete: t.obsolete })
    }
    return out
  })

/**
 * An access-pattern range. `sz` bounds are `unsigned long` and saturate; `nr_accesses` and `age`
 * bounds are `unsigned int` in `damos_access_pattern`, so they keep the low 32 bits as in the
 * kernel. The library's `min <= max` rule is judged on the values the kernel keeps.
 */
const buildRange = (r: ULRange, at: string, kind: "ulong" | "uint"): Result.Result<readonly [number, number], DamonError> => {
  const min = kind === "ulong" ? saturate(r.min) : truncateU32(r.min)
  const max = kind === "ulong" ? saturate(r.max) : truncateU32(r.max)
  if (kind === "ulong" ? r.min > r.max : min > max) {
    const kept = kind === "ulong" ? "" : ` (as the kernel keeps them, low 32 bits: ${min} > ${max})`
    return bad(`${at}/min`, r.min, `must be <= max (${r.max})${kept}: a scheme with min > max matches nothing`)
  }
  return Result.succeed([min, max] as const)
}

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
      const { targetValue, currentValue } = goalValues(g.metric, g.targetValue, g.currentValue)
      let nid = 0
      let memcgId = 0
      switch (g.metric) {
        case "user_input":
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
        // From 2^53-1 up, both ends lie past every address the library can hold.
        const addrRange = { start: saturate(f.addrStart), end: saturate(f.addrEnd) }
        return { type: "addr", ...base, addrRange }
      }
      case "target":
        if (f.targetIdx < 0) {
          return yield* bad(`${fp}/damon_target_idx`, f.targetIdx, "must be >= 0: a negative index matches no target")
        }
        return { type: "target", ...base, targetIdx: f.targetIdx }
      case "hugepage_size": {
        if (f.min > f.max) return yield* bad(`${fp}/min`, f.min, `must be <= max (${f.max})`)
        const szRange = { min: saturate(f.min), max: saturate(f.max) }
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
    const [minSz, maxSz] = yield* buildRange(s.accessPattern.sz, `${ap}/sz`, "ulong")
    const [minAcc, maxAcc] = yield* buildRange(s.accessPattern.nrAccesses, `${ap}/nr_accesses`, "uint")
    const [minAge, maxAge] = yield* buildRange(s.accessPattern.age, `${ap}/age`, "uint")
    const q = s.quotas
    const quota = {
      resetIntervalMs: saturate(q.resetIntervalMs),
      ms: saturate(q.ms),
      sz: saturate(q.sz),
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
      intervalUs: saturate(w.intervalUs),
      high: saturate(w.high),
      mid: saturate(w.mid),
      low: saturate(w.low)
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
      applyIntervalUs: saturate(s.applyIntervalUs),
      quota,
      wmarks,
      targetNid: s.targetNid,
      dests,
      filters,
      maxNrSnapshots: saturate(s.stats.maxNrSnapshots)
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
 * paddr, and a region address above 2^53-1. Every other u64 is accepted as the kernel accepts it
 * (`TreeNumbers.ts`: saturated at 2^53-1, or cut to 32 bits where the kernel keeps an `unsigned
 * int`); rules between two values are judged on the values as written. The kernel reports
 * scheme-level failures as `ENOMEM` (`damon_sysfs_mk_scheme()` returns NULL); here they are `EINVAL`.
 */
export const buildConfig = (c: ContextDir, at: string, options: BuildOptions): Result.Result<TreeConfig, DamonError> =>
  Result.gen(function*() {
    if (!options.registeredOps.includes(c.operations)) {
      const registered = options.registeredOps.join(", ") || "none"
      const rule = `is not a registered operations set (registered: ${registered})`
      return yield* bad(`${at}/operations`, c.operations, rule)
    }
    // Past 2^53-1, every non-zero core address maps beyond physical memory, as with ULONG_MAX.
    const addrUnit = saturate(c.addrUnit)
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
