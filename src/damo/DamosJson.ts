/**
 * One scheme of damo's kdamonds JSON (`Damos.to_kvpairs()` in damo's `_damon.py`) to a
 * {@link SchemeConfig}: access pattern (sizes, access rates in percent or samples, ages in time
 * or aggregation intervals), action, apply interval, quotas and goals, watermarks, filters and
 * migration destinations, with the values damo would write to the admin tree. Pure.
 */
import * as Result from "effect/Result"
import { NUMA_NO_NODE } from "../core/damos/DamosConfig.ts"
import { UINT_MAX, ULONG_MAX_BIG, ULONG_MAX_SAFE } from "../internal/uint.ts"
import type { DamonError } from "../model/DamonError.ts"
import {
  type Action,
  actions,
  type Filter,
  type FilterType,
  filterTypes,
  type GoalMetric,
  goalMetrics,
  type QuotaGoal,
  type SchemeConfig
} from "../model/Damos.ts"
import { goalValues } from "../sysfs/TreeNumbers.ts"
import * as V from "./DamoValues.ts"
import { at, bounded, fail, type JsonObject, list, type Note, object, parse, reportOthers, ulong } from "./JsonReader.ts"

/** The intervals damo converts access rates and ages with. */
export interface PatternIntervals {
  readonly sampleUs: number
  readonly aggrUs: number
}

const INT_MAX = 0x7fff_ffff

/** A count the kernel keeps in an `unsigned int` (`nr_accesses`, `age`): at least 0, at most `UINT_MAX`. */
const count = (n: number, path: string, v: unknown): Result.Result<number, DamonError> =>
  n < 0 ? fail(path, v, "must be >= 0") : Result.succeed(n >= UINT_MAX ? UINT_MAX : Math.trunc(n))

/** Both bounds of a `{min, max}` object, each through `read`. */
const minMax = <A>(
  v: unknown,
  path: string,
  notes: Array<Note>,
  read: (x: unknown, p: string) => Result.Result<A, DamonError>
): Result.Result<readonly [A, A], DamonError> =>
  Result.gen(function*() {
    const o = yield* object(v, path)
    reportOthers(o, path, ["min", "max"], [], notes)
    for (const key of ["min", "max"]) if (o[key] === undefined) return yield* fail(at(path, key), undefined, "is missing")
    return [yield* read(o["min"], at(path, "min")), yield* read(o["max"], at(path, "max"))] as const
  })

/**
 * An access-rate or age range: plain values are in `plainUnit` (percent, or time), or both are
 * `<number> <unit>` with the same unit; `convert` turns a value in a unit into samples or
 * aggregation intervals (damo's `add_unset_unit()`).
 */
const unitRange = (
  v: unknown,
  path: string,
  notes: Array<Note>,
  plain: (x: unknown) => Result.Result<number, string>,
  units: Readonly<Record<string, (n: number) => number | string>>
): Result.Result<readonly [number, number], DamonError> =>
  Result.gen(function*() {
    const raw = yield* minMax(v, path, notes, (x) => Result.succeed(x))
    const unitNames = Object.keys(units)
    const plainUnit = unitNames[0]!
    const forms: Array<readonly [number, string]> = []
    for (const [i, key] of [[0, "min"], [1, "max"]] as const) {
      const p = plain(raw[i])
      const u = V.textToNrUnit(raw[i])
      if (Result.isSuccess(p)) forms.push([p.success, plainUnit])
      else if (Result.isSuccess(u) && unitNames.includes(u.success[1])) forms.push(u.success)
      else {
        const rule = `must be ${plainUnit === "percent" ? "a percentage" : "a time"}, or '<number> <unit>' with unit ${unitNames.join(" or ")}`
        return yield* fail(at(path, key), raw[i], rule)
      }
    }
    if (forms[0]![1] !== forms[1]![1]) {
      return yield* fail(at(path, "max"), raw[1], `must use the unit of min (${forms[0]![1]}): damo reads both bounds in one unit`)
    }
    const pair = forms
    const out: Array<number> = []
    for (const [i, key] of [[0, "min"], [1, "max"]] as const) {
      const converted = units[pair[i]![1]]!(pair[i]![0])
      if (typeof converted === "string") return yield* fail(at(path, key), raw[i], converted)
      out.push(yield* count(converted, at(path, key), raw[i]))
    }
    return [out[0]!, out[1]!] as const
  })

const readPattern = (v: unknown, path: string, iv: PatternIntervals, notes: Array<Note>) =>
  Result.gen(function*() {
    if (v === undefined) {
      return { minSzRegion: 0, maxSzRegion: ULONG_MAX_SAFE, minNrAccesses: 0, maxNrAccesses: UINT_MAX, minAgeRegion: 0, maxAgeRegion: UINT_MAX }
    }
    const o = yield* object(v, path)
    reportOthers(o, path, ["sz_bytes", "nr_accesses", "age"], [], notes)
    const [minSz, maxSz] = yield* minMax(o["sz_bytes"], at(path, "sz_bytes"), notes, (x, p) => ulong(x, p, V.textToBytes))
    const perSample = (percent: number) =>
      iv.sampleUs === 0 ? "a percentage needs intervals.sample_us > 0 to become samples" : Math.trunc((percent * (iv.aggrUs / iv.sampleUs)) / 100)
    const [minAcc, maxAcc] = yield* unitRange(o["nr_accesses"], at(path, "nr_accesses"), notes, V.textToPercent, {
      percent: perSample,
      samples: (n) => n
    })
    const perAggr = (us: number) => (iv.aggrUs === 0 ? "a time needs intervals.aggr_us > 0 to become aggregation intervals" : Math.trunc(us / iv.aggrUs))
    const [minAge, maxAge] = yield* unitRange(o["age"], at(path, "age"), notes, V.textToUs, {
      usec: perAggr,
      aggr_intervals: (n) => n
    })
    return { minSzRegion: minSz, maxSzRegion: maxSz, minNrAccesses: minAcc, maxNrAccesses: maxAcc, minAgeRegion: minAge, maxAgeRegion: maxAge }
  })

const toBig = (x: number): bigint => (x >= 2 ** 64 ? ULONG_MAX_BIG : BigInt(Math.trunc(x)))

const bpMetrics: ReadonlyArray<GoalMetric> = [
  "node_mem_used_bp",
  "node_mem_free_bp",
  "node_memcg_used_bp",
  "node_memcg_free_bp",
  "active_mem_bp",
  "inactive_mem_bp",
  "node_eligible_mem_bp"
]

/** damo's target-value parser for a metric (`DamosQuotaGoal.__init__()`). */
const targetParser = (metric: GoalMetric) =>
  metric === "some_mem_psi_us" ? V.textToUs : bpMetrics.includes(metric) ? V.textToBp : V.textToNr

const readGoal = (v: unknown, path: string, memcgs: Readonly<Record<string, number>>, notes: Array<Note>) =>
  Result.gen(function*() {
    const o = yield* object(v, path)
    // damo's old spelling: a user_input goal in basis points.
    const legacy = o["target_value_bp"] !== undefined
    reportOthers(o, path, ["metric", "nid", "target_value", "current_value", "target_value_bp", "current_value_bp", "memcg_path", "path"], [], notes)
    const metric = legacy ? "user_input" : o["metric"] === undefined ? "user_input" : o["metric"]
    if (typeof metric !== "string" || !(goalMetrics as ReadonlyArray<string>).includes(metric)) {
      return yield* fail(at(path, "metric"), metric, `must be one of ${goalMetrics.join(", ")}`)
    }
    const m = metric as GoalMetric
    const tKey = legacy ? "target_value_bp" : "target_value"
    const cKey = legacy ? "current_value_bp" : "current_value"
    const nonNeg = (key: string, parser: (x: unknown) => Result.Result<number, string>) =>
      o[key] === undefined ? Result.succeed(0) : Result.flatMap(parse(o[key], at(path, key), parser), (n) =>
        n < 0 ? fail(at(path, key), o[key], "must be >= 0") : Result.succeed(n))
    const target = yield* nonNeg(tKey, targetParser(m))
    const current = yield* nonNeg(cKey, V.textToNr)
    const nid = o["nid"] === undefined || o["nid"] === null ? 0 : yield* bounded(o["nid"], at(path, "nid"), V.textToNr, -INT_MAX - 1, INT_MAX, "a node id")
    let memcgId = 0
    if (m === "node_memcg_used_bp" || m === "node_memcg_free_bp") {
      const key = o["memcg_path"] !== undefined ? "memcg_path" : "path"
      memcgId = yield* memcgOf(o[key], at(path, key), memcgs)
    }
    if (Math.trunc(target) === 0) {
      notes.push({ path: at(path, tKey), value: o[tKey], kind: "unsupported", message: "a goal without a target value is skipped, as the kernel's sysfs skips it" })
      return undefined
    }
    const { targetValue, currentValue } = goalValues(m, toBig(target), toBig(current))
    const goal: QuotaGoal = { metric: m, targetValue, currentValue, nid, memcgId }
    return goal
  })

const memcgOf = (v: unknown, path: string, memcgs: Readonly<Record<string, number>>) => {
  if (typeof v !== "string") return fail(path, v, "must be a memory cgroup path")
  const id = memcgs[v]
  return id === undefined ? fail(path, v, "names no memory cgroup (ReadOptions.memcgs)") : Result.succeed(id)
}

const readQuotas = (v: unknown, path: string, memcgs: Readonly<Record<string, number>>, notes: Array<Note>) =>
  Result.gen(function*() {
    const goals: Array<QuotaGoal> = []
    const goalIndex: Array<number> = []
    const base = { resetIntervalMs: ULONG_MAX_SAFE, ms: 0, sz: 0, goalTuner: "consist" as "consist" | "temporal", weightSz: 0, weightNrAccesses: 0, weightAge: 0 }
    if (v === undefined) return { quota: { ...base, goals }, goalIndex }
    const o = yield* object(v, path)
    const known = ["time_ms", "sz_bytes", "reset_interval_ms", "goals", "weights", "goal_tuner", "fail_charge_num", "fail_charge_denom"]
    reportOthers(o, path, known, ["effective_sz_bytes"], notes)
    const get = (key: string, parser: (x: unknown) => Result.Result<number, string>, dflt: number) =>
      o[key] === undefined ? Result.succeed(dflt) : ulong(o[key], at(path, key), parser)
    const ms = yield* get("time_ms", V.textToMs, 0)
    const sz = yield* get("sz_bytes", V.textToBytes, 0)
    const resetIntervalMs = yield* get("reset_interval_ms", V.textToMs, ULONG_MAX_SAFE)
    for (const key of ["fail_charge_num", "fail_charge_denom"]) {
      if (o[key] !== undefined && o[key] !== 0 && o[key] !== "0") {
        notes.push({ path: at(path, key), value: o[key], kind: "unsupported", message: "the failed-charge ratio (a development-tree feature) is not implemented; not applied" })
      }
    }
    let goalTuner = base.goalTuner
    if (o["goal_tuner"] !== undefined) {
      if (o["goal_tuner"] !== "consist" && o["goal_tuner"] !== "temporal") return yield* fail(at(path, "goal_tuner"), o["goal_tuner"], "must be consist or temporal")
      goalTuner = o["goal_tuner"]
    }
    const weights = [0, 0, 0]
    if (o["weights"] !== undefined) {
      const wp = at(path, "weights")
      const w = yield* object(o["weights"], wp)
      const keys = ["sz_permil", "nr_accesses_permil", "age_permil"]
      reportOthers(w, wp, keys, [], notes)
      for (let i = 0; i < 3; i++) {
        if (w[keys[i]!] !== undefined) weights[i] = yield* bounded(w[keys[i]!], at(wp, keys[i]!), V.textToPermil, 0, UINT_MAX, "a weight in permil")
      }
    }
    const gp = at(path, "goals")
    const items = o["goals"] === undefined ? [] : yield* list(o["goals"], gp)
    for (let i = 0; i < items.length; i++) {
      const g = yield* readGoal(items[i], at(gp, i), memcgs, notes)
      if (g === undefined) continue
      goals.push(g)
      goalIndex.push(i)
    }
    const quota = { resetIntervalMs, ms, sz, goals, goalTuner, weightSz: weights[0]!, weightNrAccesses: weights[1]!, weightAge: weights[2]! }
    return { quota, goalIndex }
  })

const readWmarks = (v: unknown, path: string, notes: Array<Note>) =>
  Result.gen(function*() {
    if (v === undefined) return { metric: "none" as const, intervalUs: 0, high: 0, mid: 0, low: 0 }
    const o = yield* object(v, path)
    reportOthers(o, path, ["metric", "interval_us", "high_permil", "mid_permil", "low_permil"], [], notes)
    const m = o["metric"] ?? "none"
    if (m !== "none" && m !== "free_mem_rate") return yield* fail(at(path, "metric"), m, "must be none or free_mem_rate")
    const metric: "none" | "free_mem_rate" = m
    const get = (key: string, parser: (x: unknown) => Result.Result<number, string>) =>
      o[key] === undefined ? Result.succeed(0) : ulong(o[key], at(path, key), parser)
    return {
      metric,
      intervalUs: yield* get("interval_us", V.textToUs),
      high: yield* get("high_permil", V.textToPermil),
      mid: yield* get("mid_permil", V.textToPermil),
      low: yield* get("low_permil", V.textToPermil)
    }
  })

/** The type-specific field of each filter type in damo's JSON. */
const argField: Readonly<Record<FilterType, string | undefined>> = {
  anon: undefined,
  active: undefined,
  young: undefined,
  unmapped: undefined,
  memcg: "memcg_path",
  addr: "address_range",
  target: "damon_target_idx",
  hugepage_size: "hugepage_size"
}

const readFilter = (v: unknown, path: string, memcgs: Readonly<Record<string, number>>, notes: Array<Note>) =>
  Result.gen(function*() {
    const o = yield* object(v, path)
    const args = ["memcg_path", "address_range", "damon_target_idx", "hugepage_size"]
    reportOthers(o, path, ["filter_type", "matching", "allow", "filter_pass", ...args], [], notes)
    const type = o["filter_type"]
    if (typeof type !== "string" || !(filterTypes as ReadonlyArray<string>).includes(type)) {
      return yield* fail(at(path, "filter_type"), type, `must be one of ${filterTypes.join(", ")}`)
    }
    const t = type as FilterType
    const matching = yield* parse(o["matching"], at(path, "matching"), V.textToBool)
    const allowKey = o["allow"] !== undefined ? "allow" : "filter_pass"
    const allow = o[allowKey] === undefined ? false : yield* parse(o[allowKey], at(path, allowKey), V.textToBool)
    for (const key of args) {
      const value = o[key]
      if (key !== argField[t] && value !== undefined && value !== null && value !== "") {
        notes.push({ path: at(path, key), value, kind: "ignored", message: `not used by filter type ${t}` })
      }
    }
    const base = { matching, allow }
    switch (t) {
      case "memcg":
        return { type: t, ...base, memcgId: yield* memcgOf(o["memcg_path"], at(path, "memcg_path"), memcgs) } satisfies Filter
      case "addr": {
        const ap = at(path, "address_range")
        const r = yield* object(o["address_range"], ap)
        reportOthers(r, ap, ["start", "end"], [], notes)
        const start = yield* ulong(r["start"], at(ap, "start"), V.textToBytes)
        const end = yield* ulong(r["end"], at(ap, "end"), V.textToBytes)
        if (end < start) return yield* fail(at(ap, "end"), r["end"], `must be >= start (${start})`)
        return { type: t, ...base, addrRange: { start, end } } satisfies Filter
      }
      case "target": {
        const targetIdx = yield* bounded(o["damon_target_idx"], at(path, "damon_target_idx"), V.textToNr, 0, INT_MAX, "a target index")
        return { type: t, ...base, targetIdx } satisfies Filter
      }
      case "hugepage_size": {
        const hp = at(path, "hugepage_size")
        const r = yield* list(o["hugepage_size"], hp)
        if (r.length !== 2) return yield* fail(hp, r, "must be [min, max]")
        const min = yield* ulong(r[0], at(hp, 0), V.textToBytes)
        const max = yield* ulong(r[1], at(hp, 1), V.textToBytes)
        if (min > max) return yield* fail(at(hp, 0), r[0], `must be <= max (${String(r[1])})`)
        return { type: t, ...base, szRange: { min, max } } satisfies Filter
      }
      default:
        return { type: t, ...base } satisfies Filter
    }
  })

/**
 * Reads one scheme; `goalIndex[i]` is the JSON index of the config's goal `i` (goals without a
 * target value are skipped).
 */
export const readScheme = (
  v: unknown,
  path: string,
  iv: PatternIntervals,
  memcgs: Readonly<Record<string, number>>,
  notes: Array<Note>
): Result.Result<{ readonly scheme: SchemeConfig; readonly goalIndex: ReadonlyArray<number> }, DamonError> =>
  Result.gen(function*() {
    const o = yield* object(v, path)
    const known = ["action", "dests", "target_nid", "access_pattern", "apply_interval_us", "quotas", "watermarks", "filters", "max_nr_snapshots", "stats"]
    reportOthers(o, path, known, ["tried_regions", "tried_bytes"], notes)
    const action = o["action"] ?? "stat"
    if (typeof action !== "string" || !(actions as ReadonlyArray<string>).includes(action)) {
      return yield* fail(at(path, "action"), action, `must be one of ${actions.join(", ")}`)
    }
    const targetNid = o["target_nid"] === undefined || o["target_nid"] === null
      ? NUMA_NO_NODE
      : yield* bounded(o["target_nid"], at(path, "target_nid"), V.textToNr, -INT_MAX - 1, INT_MAX, "a node id")
    const dests: Array<{ nid: number; weight: number }> = []
    const dp = at(path, "dests")
    const destItems = o["dests"] === undefined ? [] : yield* list(o["dests"], dp)
    for (let i = 0; i < destItems.length; i++) {
      const p = at(dp, i)
      const d = yield* object(destItems[i], p)
      reportOthers(d, p, ["id", "weight"], [], notes)
      dests.push({
        nid: yield* bounded(d["id"], at(p, "id"), V.textToNr, 0, INT_MAX, "a node id"),
        weight: yield* bounded(d["weight"], at(p, "weight"), V.textToNr, 0, UINT_MAX, "a weight")
      })
    }
    const pattern = yield* readPattern(o["access_pattern"], at(path, "access_pattern"), iv, notes)
    const applyIntervalUs = o["apply_interval_us"] === undefined ? 0 : yield* ulong(o["apply_interval_us"], at(path, "apply_interval_us"), V.textToUs)
    const { quota, goalIndex } = yield* readQuotas(o["quotas"], at(path, "quotas"), memcgs, notes)
    const wmarks = yield* readWmarks(o["watermarks"], at(path, "watermarks"), notes)
    const filters: Array<Filter> = []
    const fp = at(path, "filters")
    const filterItems = o["filters"] === undefined ? [] : yield* list(o["filters"], fp)
    for (let i = 0; i < filterItems.length; i++) filters.push(yield* readFilter(filterItems[i], at(fp, i), memcgs, notes))
    let maxNrSnapshots = 0
    if (o["max_nr_snapshots"] !== undefined) maxNrSnapshots = yield* ulong(o["max_nr_snapshots"], at(path, "max_nr_snapshots"), V.textToNr)
    if (o["stats"] !== undefined && o["stats"] !== null) {
      const sp = at(path, "stats")
      const st = yield* object(o["stats"], sp)
      reportOthers(st, sp, ["max_nr_snapshots"], Object.keys(st as JsonObject).filter((k) => k !== "max_nr_snapshots"), notes)
      if (st["max_nr_snapshots"] !== undefined) maxNrSnapshots = yield* ulong(st["max_nr_snapshots"], at(sp, "max_nr_snapshots"), V.textToNr)
    }
    const scheme: SchemeConfig = { pattern, action: action as Action, applyIntervalUs, quota, wmarks, targetNid, dests, filters, maxNrSnapshots }
    return { scheme, goalIndex }
  })
