/**
 * The inverse of `BuildConfig.ts`: a fresh context directory of the admin tree that describes a
 * decoded engine config, so Effect code can write a whole kdamond's parameters as one object
 * (what a user would do with many file writes). Pure: returns a new directory record or the first
 * part of the config the tree cannot express; writes nothing.
 */
import * as Result from "effect/Result"
import type { CommitSource } from "../core/CommitCtx.ts"
import { ULONG_MAX_SAFE } from "../internal/uint.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { isOpsFilterType, type SchemeConfig } from "../model/Damos.ts"
import { DAMON_MIN_REGION_SZ } from "./BuildConfig.ts"
import { U64_MAX } from "./Kstrtox.ts"
import {
  type ContextDir,
  type FilterDir,
  type GoalDir,
  newContext,
  newFilter,
  newScheme,
  type SchemeDir
} from "./TreeState.ts"

const big = (n: number): bigint => BigInt(n)

const NO_MEMCG_PATH = "has no memcg path (layer option memcgs)"

/** The first memcg path registered for `id`. */
const pathOfMemcg = (memcgs: Readonly<Record<string, number>>, id: number): string | undefined =>
  Object.entries(memcgs).find(([, v]) => v === id)?.[0]

const schemeDir = (
  s: SchemeConfig,
  at: string,
  memcgs: Readonly<Record<string, number>>
): Result.Result<SchemeDir, DamonError> =>
  Result.gen(function*() {
    const d = newScheme()
    const p = s.pattern
    d.action = s.action
    // The library's widest upper bound is the kernel's "no limit", ULONG_MAX.
    const maxSz = p.maxSzRegion >= ULONG_MAX_SAFE ? U64_MAX : big(p.maxSzRegion)
    d.accessPattern.sz = { min: big(p.minSzRegion), max: maxSz }
    d.accessPattern.nrAccesses = { min: big(p.minNrAccesses), max: big(p.maxNrAccesses) }
    d.accessPattern.age = { min: big(p.minAgeRegion), max: big(p.maxAgeRegion) }
    d.applyIntervalUs = big(s.applyIntervalUs)
    const q = s.quota
    d.quotas.ms = big(q.ms)
    d.quotas.sz = big(q.sz)
    d.quotas.resetIntervalMs = big(q.resetIntervalMs)
    d.quotas.goalTuner = q.goalTuner
    d.quotas.weights = { sz: q.weightSz, nrAccesses: q.weightNrAccesses, age: q.weightAge }
    const goals: Array<GoalDir> = []
    for (let j = 0; j < q.goals.length; j++) {
      const g = q.goals[j]!
      const isMemcg = g.metric === "node_memcg_used_bp" || g.metric === "node_memcg_free_bp"
      const path = isMemcg ? pathOfMemcg(memcgs, g.memcgId) : undefined
      if (isMemcg && path === undefined) {
        return yield* Result.fail(invalidArgument(`${at}.quota.goals[${j}].memcgId`, g.memcgId, NO_MEMCG_PATH))
      }
      goals.push({
        metric: g.metric,
        targetValue: big(g.targetValue),
        currentValue: big(g.currentValue),
        nid: g.nid,
        path: path ?? null
      })
    }
    d.quotas.goals = goals
    d.watermarks = {
      metric: s.wmarks.metric,
      intervalUs: big(s.wmarks.intervalUs),
      high: big(s.wmarks.high),
      mid: big(s.wmarks.mid),
      low: big(s.wmarks.low)
    }
    for (let j = 0; j < s.filters.length; j++) {
      const f = s.filters[j]!
      const fd: FilterDir = { ...newFilter(), type: f.type, matching: f.matching, allow: f.allow }
      switch (f.type) {
        case "memcg": {
          const path = pathOfMemcg(memcgs, f.memcgId)
          if (path === undefined) {
            return yield* Result.fail(invalidArgument(`${at}.filters[${j}].memcgId`, f.memcgId, NO_MEMCG_PATH))
          }
          fd.memcgPath = path
          break
        }
        case "addr":
          fd.addrStart = big(f.addrRange.start)
          fd.addrEnd = big(f.addrRange.end)
          break
        case "target":
          fd.targetIdx = f.targetIdx
          break
        case "hugepage_size":
          fd.min = big(f.szRange.min)
          fd.max = big(f.szRange.max)
          break
        default:
          break
      }
      // Core-handled types go to core_filters, the rest to ops_filters: the same two lists.
      const list = isOpsFilterType(f.type) ? d.opsFilters : d.coreFilters
      list.items.push(fd)
    }
    d.targetNid = s.targetNid
    d.dests = s.dests.map((x) => ({ id: x.nid, weight: x.weight }))
    d.stats.maxNrSnapshots = big(s.maxNrSnapshots)
    return d
  })

/**
 * A fresh context directory for a decoded config, or an `InvalidArgument` naming the config field
 * the tree cannot express: an operations id `operations` does not accept, a `minRegionSz` other
 * than the one `addr_unit` implies (paddr: `max(4096 / addrUnit, 1)`, else 4096), a non-zero
 * `attrs.aggrSamples`, a memcg id without a path in `memcgs`.
 *
 * **Details**
 * Filters land in `core_filters` (addr, target) and `ops_filters` (the rest), keeping their
 * relative order, which is what the engine's two filter lists keep. Widest upper pattern bounds
 * are written as the kernel's "no limit" values. A target without a pid is written as pid 0.
 */
export const contextFromConfig = (
  source: CommitSource,
  operationsNames: ReadonlyArray<string>,
  memcgs: Readonly<Record<string, number>>
): Result.Result<ContextDir, DamonError> =>
  Result.gen(function*() {
    const b = source.base
    if (!operationsNames.includes(b.ops)) {
      return yield* Result.fail(invalidArgument("ops", b.ops, `must be one of ${operationsNames.join(", ")}`))
    }
    const derived = b.ops === "paddr" ? Math.max(Math.floor(DAMON_MIN_REGION_SZ / b.addrUnit), 1) : DAMON_MIN_REGION_SZ
    if (b.minRegionSz !== derived) {
      const rule = `the admin tree derives it from addr_unit: must be ${derived}`
      return yield* Result.fail(invalidArgument("minRegionSz", b.minRegionSz, rule))
    }
    if (b.attrs.aggrSamples !== 0) {
      const rule = "has no admin tree file: must be 0"
      return yield* Result.fail(invalidArgument("attrs.aggrSamples", b.attrs.aggrSamples, rule))
    }
    const c = newContext()
    c.operations = b.ops
    c.addrUnit = big(b.addrUnit)
    const a = b.attrs
    c.attrs = {
      sampleUs: big(a.sampleIntervalUs),
      aggrUs: big(a.aggrIntervalUs),
      updateUs: big(a.opsUpdateIntervalUs),
      goal: {
        accessBp: big(a.intervalsGoal.accessBp),
        aggrs: big(a.intervalsGoal.aggrs),
        minSampleUs: big(a.intervalsGoal.minSampleUs),
        maxSampleUs: big(a.intervalsGoal.maxSampleUs)
      },
      nrRegions: { min: big(a.minNrRegions), max: big(a.maxNrRegions) }
    }
    c.targets = b.targets.map((t) => ({
      pid: t.pid ?? 0,
      obsolete: t.obsolete,
      regions: t.regions.map((r) => ({ start: big(r.start), end: big(r.end) }))
    }))
    for (let i = 0; i < source.schemes.length; i++) {
      c.schemes.push(yield* schemeDir(source.schemes[i]!, `schemes[${i}]`, memcgs))
    }
    return c
  })
