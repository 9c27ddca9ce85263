/**
 * damo's kdamonds JSON (`{"kdamonds": [...]}`, what `damo args damon --format json` prints and
 * `damo start --kdamonds` reads; `Kdamond.to_kvpairs()` in damo's `_damon.py`) to the config
 * `Damon.start` takes: one config per kdamond, with the values damo would write to the admin
 * tree and the tree's rules for them (docs/sysfs.md), so the file starts the same setup here as
 * damo starts through sysfs. Fields that are not applied are reported, never dropped silently.
 * Pure; the inverse is `KdamondsJsonWrite.ts`.
 */
import * as Result from "effect/Result"
import { decodeConfig } from "../core/BuildCtx.ts"
import { ULONG_MAX_SAFE } from "../internal/uint.ts"
import type { IntervalsGoal } from "../model/Attrs.ts"
import type { TargetConfig } from "../model/DamonConfig.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { SchemeConfig } from "../model/Damos.ts"
import { readScheme } from "./DamosJson.ts"
import * as V from "./DamoValues.ts"
import { at, bounded, fail, type JsonObject, list, type Note, object, reportOthers, ulong } from "./JsonReader.ts"

/** A complete `Damon.start` config, every field explicit (what one damo kdamond describes). */
export interface StartConfig {
  readonly ops: string
  readonly attrs: {
    readonly sampleIntervalUs: number
    readonly aggrIntervalUs: number
    readonly opsUpdateIntervalUs: number
    readonly intervalsGoal: IntervalsGoal
    readonly minNrRegions: number
    readonly maxNrRegions: number
  }
  readonly targets: ReadonlyArray<TargetConfig>
  readonly schemes: ReadonlyArray<SchemeConfig>
  readonly addrUnit: number
  readonly minRegionSz: number
}

/** What a kdamonds JSON document describes, and what of it was not applied. */
export interface KdamondsRead {
  /** One config per kdamond, in order. */
  readonly configs: ReadonlyArray<StartConfig>
  readonly notes: ReadonlyArray<Note>
}

/** Options of {@link fromKdamondsJson}. */
export interface ReadOptions {
  /** Memory cgroups by path to id, for memcg filters and goals (as the admin tree's `memcgs`). */
  readonly memcgs?: Readonly<Record<string, number>>
}

/** damo's monitoring defaults (`DamonIntervals()`, `DamonNrRegionsRange()`): 5 ms, 100 ms, 1 s; 10..1000. */
export const damoDefaults = { sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000, minNrRegions: 10, maxNrRegions: 1000 }

/** `DAMON_MIN_REGION_SZ`; paddr divides it by `addr_unit` (`min_region_sz`). */
const MIN_REGION_SZ = 4096

/** Interval values the access-pattern conversions need (damo converts with them). */
export interface Intervals {
  readonly sampleUs: number
  readonly aggrUs: number
}

const readIntervals = (v: unknown, path: string, notes: Array<Note>) =>
  Result.gen(function*() {
    const none = { sampleUs: damoDefaults.sampleUs, aggrUs: damoDefaults.aggrUs, opsUpdateUs: damoDefaults.opsUpdateUs }
    const goal0: IntervalsGoal = { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 }
    if (v === undefined) return { ...none, goal: goal0 }
    const o = yield* object(v, path)
    reportOthers(o, path, ["sample_us", "aggr_us", "ops_update_us", "intervals_goal"], [], notes)
    const us = (key: string, dflt: number) => (o[key] === undefined ? Result.succeed(dflt) : ulong(o[key], at(path, key), V.textToUs))
    const sampleUs = yield* us("sample_us", none.sampleUs)
    const aggrUs = yield* us("aggr_us", none.aggrUs)
    const opsUpdateUs = yield* us("ops_update_us", none.opsUpdateUs)
    let goal = goal0
    if (o["intervals_goal"] !== undefined) {
      const gp = at(path, "intervals_goal")
      const g = yield* object(o["intervals_goal"], gp)
      reportOthers(g, gp, ["access_bp", "aggrs", "min_sample_us", "max_sample_us"], [], notes)
      const gv = (key: string, parser: (v: unknown) => Result.Result<number, string>) =>
        g[key] === undefined ? Result.succeed(0) : ulong(g[key], at(gp, key), parser)
      goal = {
        accessBp: yield* gv("access_bp", V.textToBp),
        aggrs: yield* gv("aggrs", V.textToNr),
        minSampleUs: yield* gv("min_sample_us", V.textToUs),
        maxSampleUs: yield* gv("max_sample_us", V.textToUs)
      }
    }
    return { sampleUs, aggrUs, opsUpdateUs, goal }
  })

const readTarget = (v: unknown, path: string, ops: string, notes: Array<Note>) =>
  Result.gen(function*() {
    const o = yield* object(v, path)
    reportOthers(o, path, ["pid", "regions"], [], notes)
    const hasPid = ops === "vaddr" || ops === "fvaddr"
    let pid: number | null = null
    if (hasPid) pid = yield* bounded(o["pid"], at(path, "pid"), V.textToNr, 1, 0x7fff_ffff, `a process id (${ops} needs one)`)
    else if (o["pid"] !== undefined && o["pid"] !== null) {
      notes.push({ path: at(path, "pid"), value: o["pid"], kind: "ignored", message: `${ops} monitors no process: the pid is not used` })
    }
    const regions: Array<{ start: number; end: number }> = []
    const rp = at(path, "regions")
    const items = o["regions"] === undefined ? [] : yield* list(o["regions"], rp)
    for (let i = 0; i < items.length; i++) {
      const p = at(rp, i)
      const r = yield* object(items[i], p)
      reportOthers(r, p, ["start", "end"], ["nr_accesses", "age", "sz_filter_passed"], notes)
      const address = (key: string) =>
        bounded(r[key], at(p, key), V.textToBytes, 0, ULONG_MAX_SAFE, "an address of the library's 53-bit address space")
      regions.push({ start: yield* address("start"), end: yield* address("end") })
    }
    return { pid, regions, obsolete: false }
  })

/** Rewrites an engine error about config field `f` to the JSON path it came from. */
const jsonPathOf = (ctx: string, f: string, goalIndex: ReadonlyArray<ReadonlyArray<number>>): string => {
  const simple: Readonly<Record<string, string>> = {
    ops: "ops",
    addrUnit: "addr_unit",
    minRegionSz: "addr_unit",
    "attrs.sampleIntervalUs": "intervals.sample_us",
    "attrs.aggrIntervalUs": "intervals.aggr_us",
    "attrs.opsUpdateIntervalUs": "intervals.ops_update_us",
    "attrs.intervalsGoal.accessBp": "intervals.intervals_goal.access_bp",
    "attrs.intervalsGoal.aggrs": "intervals.intervals_goal.aggrs",
    "attrs.intervalsGoal.minSampleUs": "intervals.intervals_goal.min_sample_us",
    "attrs.intervalsGoal.maxSampleUs": "intervals.intervals_goal.max_sample_us",
    "attrs.minNrRegions": "nr_regions.min",
    "attrs.maxNrRegions": "nr_regions.max"
  }
  const hit = simple[f]
  if (hit !== undefined) return at(ctx, hit)
  const s = /^schemes\[(\d+)\]\.(.*)$/.exec(f)
  if (s === null) return f.startsWith("targets[") ? `${ctx}.${f}` : `${ctx} (${f})`
  const i = Number(s[1])
  const rest = s[2]!
  const scheme: Readonly<Record<string, string>> = {
    "pattern.minSzRegion": "access_pattern.sz_bytes.min",
    "pattern.maxSzRegion": "access_pattern.sz_bytes.max",
    "pattern.minNrAccesses": "access_pattern.nr_accesses.min",
    "pattern.maxNrAccesses": "access_pattern.nr_accesses.max",
    "pattern.minAgeRegion": "access_pattern.age.min",
    "pattern.maxAgeRegion": "access_pattern.age.max",
    "quota.ms": "quotas.time_ms",
    "quota.sz": "quotas.sz_bytes",
    "quota.resetIntervalMs": "quotas.reset_interval_ms",
    "wmarks.mid": "watermarks.mid_permil",
    "wmarks.low": "watermarks.low_permil",
    "wmarks.high": "watermarks.high_permil",
    "wmarks.intervalUs": "watermarks.interval_us",
    applyIntervalUs: "apply_interval_us",
    targetNid: "target_nid",
    maxNrSnapshots: "max_nr_snapshots"
  }
  const sp = at(at(ctx, "schemes"), i)
  const mapped = scheme[rest]
  if (mapped !== undefined) return at(sp, mapped)
  const g = /^quota\.goals\[(\d+)\]\.(\w+)$/.exec(rest)
  if (g !== null) {
    const j = goalIndex[i]?.[Number(g[1])] ?? Number(g[1])
    const key = g[2] === "targetValue" ? "target_value" : g[2] === "currentValue" ? "current_value" : g[2]!
    return at(at(at(sp, "quotas.goals"), j), key)
  }
  const fl = /^filters\[(\d+)\](.*)$/.exec(rest)
  if (fl !== null) return `${at(at(sp, "filters"), Number(fl[1]))}${fl[2] === "" ? "" : ` (${fl[2]!.slice(1)})`}`
  return `${sp} (${rest})`
}

/** The JSON value at a path of the form `a.b[2].c`, if any. */
const valueAtPath = (doc: unknown, path: string): unknown => {
  let cur: unknown = doc
  for (const part of path.split(/\.|(?=\[)/)) {
    if (cur === null || typeof cur !== "object") return undefined
    const idx = /^\[(\d+)\]$/.exec(part)
    cur = idx !== null ? (cur as ReadonlyArray<unknown>)[Number(idx[1])] : (cur as JsonObject)[part]
  }
  return cur
}

const readContext = (v: unknown, path: string, doc: unknown, options: ReadOptions, notes: Array<Note>) =>
  Result.gen(function*() {
    const o = yield* object(v, path)
    reportOthers(o, path, ["ops", "targets", "intervals", "nr_regions", "schemes", "ops_attrs", "addr_unit"], [], notes)
    if (typeof o["ops"] !== "string") return yield* fail(at(path, "ops"), o["ops"], "must be an operations set name (vaddr, fvaddr, paddr)")
    const ops = o["ops"]
    readOpsAttrs(o["ops_attrs"], at(path, "ops_attrs"), notes)
    const addrUnit = o["addr_unit"] === undefined ? 1 : yield* ulong(o["addr_unit"], at(path, "addr_unit"), V.textToNr)
    if (addrUnit === 0) return yield* fail(at(path, "addr_unit"), o["addr_unit"], "must be > 0")
    const iv = yield* readIntervals(o["intervals"], at(path, "intervals"), notes)
    let minNrRegions = damoDefaults.minNrRegions
    let maxNrRegions = damoDefaults.maxNrRegions
    if (o["nr_regions"] !== undefined) {
      const np = at(path, "nr_regions")
      const n = yield* object(o["nr_regions"], np)
      reportOthers(n, np, ["min", "max"], [], notes)
      if (n["min"] !== undefined) minNrRegions = yield* ulong(n["min"], at(np, "min"), V.textToNr)
      if (n["max"] !== undefined) maxNrRegions = yield* ulong(n["max"], at(np, "max"), V.textToNr)
    }
    const tp = at(path, "targets")
    const targetItems = yield* list(o["targets"], tp)
    const targets: Array<TargetConfig> = []
    for (let i = 0; i < targetItems.length; i++) targets.push(yield* readTarget(targetItems[i], at(tp, i), ops, notes))
    const sp = at(path, "schemes")
    const schemeItems = o["schemes"] === undefined ? [] : yield* list(o["schemes"], sp)
    const schemes: Array<SchemeConfig> = []
    const goalIndex: Array<ReadonlyArray<number>> = []
    for (let i = 0; i < schemeItems.length; i++) {
      const read = yield* readScheme(schemeItems[i], at(sp, i), iv, options.memcgs ?? {}, notes)
      schemes.push(read.scheme)
      goalIndex.push(read.goalIndex)
    }
    const config: StartConfig = {
      ops,
      attrs: {
        sampleIntervalUs: iv.sampleUs,
        aggrIntervalUs: iv.aggrUs,
        opsUpdateIntervalUs: iv.opsUpdateUs,
        intervalsGoal: iv.goal,
        minNrRegions,
        maxNrRegions
      },
      targets,
      schemes,
      addrUnit,
      minRegionSz: ops === "paddr" ? Math.max(Math.floor(MIN_REGION_SZ / addrUnit), 1) : MIN_REGION_SZ
    }
    // The library's own rules (damon_set_attrs(), regions, patterns, goals, watermarks), by JSON path.
    const checked = decodeConfig(config)
    if (Result.isFailure(checked)) {
      const r = checked.failure.reason
      if (r._tag !== "InvalidArgument") return yield* Result.fail(checked.failure)
      const jp = jsonPathOf(path, r.field, goalIndex)
      const written = valueAtPath(doc, jp)
      return yield* Result.fail(invalidArgument(jp, written === undefined ? r.value : written, r.rule))
    }
    return config
  })

const readOpsAttrs = (v: unknown, path: string, notes: Array<Note>): void => {
  if (v === undefined || v === null || typeof v !== "object") return
  const defaults: JsonObject = { use_reports: false, write_only: false, cpus: "all", tids: "" }
  for (const [key, value] of Object.entries(v)) {
    if (defaults[key] === value) continue
    notes.push({ path: at(path, key), value, kind: "unsupported", message: "ops attributes (damon/next) are not implemented; not applied" })
  }
}

/**
 * Reads a parsed kdamonds JSON document: one {@link StartConfig} per kdamond and the notes on
 * fields not applied; the first bad value is an `InvalidArgument` naming its JSON path.
 *
 * **Details**
 * Follows damo's reading (`Kdamond.from_kvpairs()` and friends) and its writing to the admin
 * tree (`_damon_sysfs.py`): damo's defaults for missing sections (intervals 5 ms / 100 ms / 1 s,
 * 10..1000 regions, a `stat` scheme matching everything, reset interval `max`); numbers
 * truncated as damo's `'%d'` does; access rates in percent converted to samples with the
 * context's intervals (`int(percent * aggr / sample / 100)`), ages in time to aggregation
 * intervals (`int(us / aggr)`); values from 2^53-1 up and counts above `UINT_MAX` saturated as
 * the admin tree does; quota goals with a zero target skipped as the kernel's sysfs does; memcg
 * paths resolved with `options.memcgs`. `state`, `pid`, `stats` and effective quotas are runtime
 * outputs (notes of kind `ignored`); `refresh_ms`, `ops_attrs` and unknown fields are reported
 * as `unsupported`.
 */
export const fromKdamondsJson = (doc: unknown, options: ReadOptions = {}): Result.Result<KdamondsRead, DamonError> =>
  Result.gen(function*() {
    const root = yield* object(doc, "(document)")
    if (!Array.isArray(root["kdamonds"])) {
      return yield* fail("kdamonds", root["kdamonds"], "must be a list: the document is {\"kdamonds\": [...]}, as damo args damon --format json prints")
    }
    const notes: Array<Note> = []
    reportOthers(root, "", ["kdamonds"], [], notes)
    const configs: Array<StartConfig> = []
    const kds = root["kdamonds"] as ReadonlyArray<unknown>
    for (let k = 0; k < kds.length; k++) {
      const kp = at("kdamonds", k)
      const kd = yield* object(kds[k], kp)
      reportOthers(kd, kp, ["contexts", "refresh_ms"], ["state", "pid"], notes)
      const refresh = kd["refresh_ms"] === undefined ? 0 : yield* ulong(kd["refresh_ms"], at(kp, "refresh_ms"), V.textToMs)
      if (refresh !== 0) {
        notes.push({
          path: at(kp, "refresh_ms"),
          value: kd["refresh_ms"],
          kind: "unsupported",
          message: "periodic stats refresh belongs to the admin tree (kdamonds/<K>/refresh_ms), not to a started config"
        })
      }
      const cp = at(kp, "contexts")
      const contexts = yield* list(kd["contexts"], cp)
      if (contexts.length !== 1) return yield* fail(cp, contexts.length, "must hold exactly one context: DAMON runs one context per kdamond")
      configs.push(yield* readContext(contexts[0], at(cp, 0), doc, options, notes))
    }
    return { configs, notes }
  })

/** Parses kdamonds JSON text (see {@link fromKdamondsJson}); text that is not JSON is an `InvalidArgument`. */
export const parseKdamondsJson = (text: string, options: ReadOptions = {}): Result.Result<KdamondsRead, DamonError> => {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    return Result.fail(invalidArgument("(document)", text.length > 60 ? `${text.slice(0, 60)}...` : text, `is not JSON: ${e instanceof Error ? e.message : String(e)}`))
  }
  return fromKdamondsJson(doc, options)
}
