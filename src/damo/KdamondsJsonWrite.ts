/**
 * `Damon.start` configs to damo's kdamonds JSON (`{"kdamonds": [...]}`, the shape of damo's
 * `Kdamond.to_kvpairs()`), in damo's human style (`5 ms`, `4.000 KiB`, `max`, `20 %`) or its
 * machine-friendly `raw` style. Every value reads back exactly (`KdamondsJson.ts`): where a human
 * rendering would lose precision the value is written in an exact form damo also reads (a plain
 * number, every time unit spelled out, `<n> samples`). Pure.
 */
import * as Result from "effect/Result"
import { decodeConfig } from "../core/BuildCtx.ts"
import { NUMA_NO_NODE } from "../core/damos/DamosConfig.ts"
import { UINT_MAX, ULONG_MAX_SAFE } from "../internal/uint.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { Filter, SchemeConfig } from "../model/Damos.ts"
import * as V from "./DamoValues.ts"
import type { JsonObject, Note } from "./JsonReader.ts"

/** Options of {@link toKdamondsJson}. */
export interface WriteOptions {
  /** damo's `--raw`: plain numbers, access rates in samples, ages in aggregation intervals. Default false. */
  readonly raw?: boolean
  /** Memory cgroups by path to id, to name the cgroup of memcg filters and goals. */
  readonly memcgs?: Readonly<Record<string, number>>
}

/** A kdamonds JSON document and what of the configs it could not carry. */
export interface KdamondsWritten {
  readonly json: { readonly kdamonds: ReadonlyArray<JsonObject> }
  readonly notes: ReadonlyArray<Note>
}

/** The library's saturated "no limit" (2^53-1) as damo's `max` (ULONG_MAX). */
const ul = (x: number): number => (x >= ULONG_MAX_SAFE ? V.ULONG_MAX : x)

/** The human rendering when it reads back as `x`, else `exact`. */
const exactOr = (human: string, back: (t: string) => Result.Result<number, string>, x: number, exact: string): string => {
  const r = back(human)
  return Result.isSuccess(r) && Math.trunc(r.success) === Math.trunc(x) ? human : exact
}

/** Renders values in one of damo's two styles, always reading back exactly. */
const renderer = (raw: boolean) => ({
  nr: (x: number) => V.formatNr(ul(x), raw),
  sz: (x: number) => (raw ? V.formatSz(ul(x), true) : exactOr(V.formatSz(ul(x), false), V.textToBytes, ul(x), V.formatSz(ul(x), true))),
  us: (x: number) => (raw ? V.formatTimeUs(ul(x), true) : exactOr(V.formatTimeUs(ul(x), false), V.textToUs, ul(x), V.formatTimeUs(ul(x), true))),
  usExact: (x: number) => (raw ? V.formatTimeUsExact(ul(x), true) : exactOr(V.formatTimeUsExact(ul(x), false), V.textToUs, ul(x), V.formatTimeUsExact(ul(x), true))),
  msExact: (x: number) => (raw ? V.formatTimeMsExact(ul(x), true) : exactOr(V.formatTimeMsExact(ul(x), false), V.textToMs, ul(x), V.formatTimeMsExact(ul(x), true))),
  permil: (x: number) => (raw ? V.formatPermil(x, true) : exactOr(V.formatPermil(x, false), V.textToPermil, x, V.formatPermil(x, true))),
  bp: (x: number) => (raw ? V.formatBp(ul(x), true) : exactOr(V.formatBp(ul(x), false), V.textToBp, ul(x), V.formatBp(ul(x), true)))
})

type Render = ReturnType<typeof renderer>

/**
 * An access-rate range: percent (human) when both bounds survive damo's percent-to-samples
 * conversion, else samples; `UINT_MAX` samples ("no limit") is damo's `max` percent.
 */
const nrAccesses = (min: number, max: number, sampleUs: number, aggrUs: number, raw: boolean): JsonObject => {
  const samples = (n: number) => `${V.formatNr(n, raw)} samples`
  if (raw || sampleUs === 0) return { min: samples(min), max: samples(max) }
  const maxVal = aggrUs / sampleUs
  const percentOf = (n: number) => (n >= UINT_MAX ? V.ULONG_MAX : Math.trunc((n * 100) / maxVal))
  const back = (p: number) => Math.min(UINT_MAX, Math.trunc((p * maxVal) / 100))
  const [p0, p1] = [percentOf(min), percentOf(max)]
  if (back(p0) !== min || back(p1) !== max) return { min: samples(min), max: samples(max) }
  return { min: `${V.formatNr(p0, false)} %`, max: `${V.formatNr(p1, false)} %` }
}

/** An age range: time (human, `max` for `UINT_MAX`) or aggregation intervals (raw). */
const ages = (min: number, max: number, aggrUs: number, raw: boolean): JsonObject => {
  const intervals = (n: number) => `${V.formatNr(n, raw)} aggr_intervals`
  if (raw || aggrUs === 0) return { min: intervals(min), max: intervals(max) }
  const time = (n: number) => (n >= UINT_MAX ? "max" : V.formatTimeUsExact(n * aggrUs, false))
  const back = (t: string) => {
    const us = V.textToUs(t)
    return Result.isSuccess(us) ? Math.min(UINT_MAX, Math.trunc(us.success / aggrUs)) : -1
  }
  const [t0, t1] = [time(min), time(max)]
  if (back(t0) !== min || back(t1) !== max) return { min: intervals(min), max: intervals(max) }
  return { min: t0, max: t1 }
}

const pathOf = (memcgs: Readonly<Record<string, number>>, id: number): string | undefined =>
  Object.entries(memcgs).find(([, v]) => v === id)?.[0]

const filterJson = (f: Filter, r: Render, memcgPath: string | null): JsonObject => ({
  filter_type: f.type,
  matching: f.matching,
  allow: f.allow,
  memcg_path: memcgPath,
  address_range: f.type === "addr" ? { start: r.nr(f.addrRange.start), end: r.nr(f.addrRange.end) } : null,
  damon_target_idx: f.type === "target" ? r.nr(f.targetIdx) : null,
  hugepage_size: f.type === "hugepage_size" ? [r.sz(f.szRange.min), r.sz(f.szRange.max)] : null
})

const nidMetrics = ["node_mem_used_bp", "node_mem_free_bp", "node_memcg_used_bp", "node_memcg_free_bp", "node_eligible_mem_bp"]

const schemeJson = (
  s: SchemeConfig,
  at: string,
  attrs: { readonly sampleIntervalUs: number; readonly aggrIntervalUs: number },
  raw: boolean,
  memcgs: Readonly<Record<string, number>>,
  notes: Array<Note>
): Result.Result<JsonObject, DamonError> =>
  Result.gen(function*() {
    const r = renderer(raw)
    const p = s.pattern
    const q = s.quota
    const goals: Array<JsonObject> = []
    for (let j = 0; j < q.goals.length; j++) {
      const g = q.goals[j]!
      const goal: Record<string, unknown> = {
        metric: g.metric,
        nid: nidMetrics.includes(g.metric) ? g.nid : null,
        target_value: r.nr(g.targetValue),
        current_value: r.nr(g.currentValue)
      }
      if (g.metric === "node_memcg_used_bp" || g.metric === "node_memcg_free_bp") {
        const path = pathOf(memcgs, g.memcgId)
        if (path === undefined) return yield* Result.fail(invalidArgument(`${at}.quota.goals[${j}].memcgId`, g.memcgId, "has no memcg path (WriteOptions.memcgs)"))
        goal["memcg_path"] = path
        notes.push({ path: `${at}.quotas.goals[${j}].memcg_path`, value: path, kind: "extension", message: "written for a memcg goal metric; older damo versions do not read it" })
      }
      goals.push(goal)
    }
    const quotas: Record<string, unknown> = {
      time_ms: r.msExact(q.ms),
      sz_bytes: r.sz(q.sz),
      reset_interval_ms: r.msExact(q.resetIntervalMs),
      goals,
      effective_sz_bytes: r.sz(0),
      weights: { sz_permil: r.permil(q.weightSz), nr_accesses_permil: r.permil(q.weightNrAccesses), age_permil: r.permil(q.weightAge) }
    }
    if (q.goalTuner !== "consist") {
      quotas["goal_tuner"] = q.goalTuner
      notes.push({ path: `${at}.quotas.goal_tuner`, value: q.goalTuner, kind: "extension", message: "the goal tuner is written as goal_tuner; older damo versions do not read it" })
    }
    const filters: Array<JsonObject> = []
    for (let j = 0; j < s.filters.length; j++) {
      const f = s.filters[j]!
      let memcgPath: string | null = null
      if (f.type === "memcg") {
        const path = pathOf(memcgs, f.memcgId)
        if (path === undefined) return yield* Result.fail(invalidArgument(`${at}.filters[${j}].memcgId`, f.memcgId, "has no memcg path (WriteOptions.memcgs)"))
        memcgPath = path
      }
      filters.push(filterJson(f, r, memcgPath))
    }
    const out: Record<string, unknown> = {
      action: s.action,
      dests: s.dests.map((d) => ({ id: d.nid, weight: d.weight }))
    }
    if (s.action === "migrate_hot" || s.action === "migrate_cold" || s.targetNid !== NUMA_NO_NODE) {
      out["target_nid"] = s.targetNid === NUMA_NO_NODE ? null : s.targetNid
    }
    out["access_pattern"] = {
      sz_bytes: { min: r.sz(p.minSzRegion), max: r.sz(p.maxSzRegion) },
      nr_accesses: nrAccesses(p.minNrAccesses, p.maxNrAccesses, attrs.sampleIntervalUs, attrs.aggrIntervalUs, raw),
      age: ages(p.minAgeRegion, p.maxAgeRegion, attrs.aggrIntervalUs, raw)
    }
    out["apply_interval_us"] = r.us(s.applyIntervalUs)
    out["quotas"] = quotas
    out["watermarks"] = {
      metric: s.wmarks.metric,
      interval_us: r.usExact(s.wmarks.intervalUs),
      high_permil: r.permil(ul(s.wmarks.high)),
      mid_permil: r.permil(ul(s.wmarks.mid)),
      low_permil: r.permil(ul(s.wmarks.low))
    }
    out["filters"] = filters
    if (s.maxNrSnapshots !== 0) {
      out["max_nr_snapshots"] = r.nr(s.maxNrSnapshots)
      notes.push({ path: `${at}.max_nr_snapshots`, value: s.maxNrSnapshots, kind: "extension", message: "written as max_nr_snapshots; older damo versions do not read it" })
    }
    return out
  })

/**
 * Writes configs (any input `Damon.start` accepts, one per kdamond) as damo's kdamonds JSON, and
 * notes what damo's format cannot carry; an invalid config is an `InvalidArgument` naming
 * `configs[i].<field>`.
 *
 * **Details**
 * The document has damo's keys and order. New kdamonds have `state` and `pid` null and
 * `refresh_ms` 0; schemes carry no `stats`. `target_nid` is written for migrate actions (null
 * for none) and for any other action that sets one. Values the library holds as "no limit"
 * (2^53-1; `UINT_MAX` access counts and ages) are written as damo's `max`. Beyond damo's
 * documented keys, `addr_unit` (context), `goal_tuner` (quotas), `max_nr_snapshots` (scheme) and
 * `memcg_path` (memcg goals) are written when they are not the defaults, each with an
 * `extension` note; an `obsolete` target cannot be expressed and is reported as `unsupported`.
 */
export const toKdamondsJson = (configs: ReadonlyArray<unknown>, options: WriteOptions = {}): Result.Result<KdamondsWritten, DamonError> =>
  Result.gen(function*() {
    const raw = options.raw === true
    const r = renderer(raw)
    const memcgs = options.memcgs ?? {}
    const notes: Array<Note> = []
    const kdamonds: Array<JsonObject> = []
    for (let i = 0; i < configs.length; i++) {
      const decoded = decodeConfig(configs[i])
      if (Result.isFailure(decoded)) {
        const e = decoded.failure.reason
        return yield* Result.fail(e._tag === "InvalidArgument" ? invalidArgument(`configs[${i}].${e.field}`, e.value, e.rule) : decoded.failure)
      }
      const { base, schemes } = decoded.success
      const cp = `kdamonds[${i}].contexts[0]`
      const a = base.attrs
      const targets = base.targets.map((t, j) => {
        if (t.obsolete) notes.push({ path: `${cp}.targets[${j}]`, value: true, kind: "unsupported", message: "damo's format has no obsolete targets; written as a plain target" })
        return { pid: t.pid, regions: t.regions.map((x) => ({ start: r.nr(x.start), end: r.nr(x.end) })) }
      })
      const schemeJsons: Array<JsonObject> = []
      for (let j = 0; j < schemes.length; j++) schemeJsons.push(yield* schemeJson(schemes[j]!, `${cp}.schemes[${j}]`, a, raw, memcgs, notes))
      const ctx: Record<string, unknown> = {
        ops: base.ops,
        targets,
        intervals: {
          sample_us: r.us(a.sampleIntervalUs),
          aggr_us: r.us(a.aggrIntervalUs),
          ops_update_us: r.us(a.opsUpdateIntervalUs),
          intervals_goal: {
            access_bp: r.bp(a.intervalsGoal.accessBp),
            aggrs: r.nr(a.intervalsGoal.aggrs),
            min_sample_us: r.us(a.intervalsGoal.minSampleUs),
            max_sample_us: r.us(a.intervalsGoal.maxSampleUs)
          }
        },
        nr_regions: { min: r.nr(a.minNrRegions), max: r.nr(a.maxNrRegions) },
        schemes: schemeJsons
      }
      const derived = base.ops === "paddr" ? Math.max(Math.floor(4096 / base.addrUnit), 1) : 4096
      if (base.minRegionSz !== derived) {
        notes.push({ path: cp, value: base.minRegionSz, kind: "unsupported", message: `minRegionSz has no damo field; damo's setup derives ${derived} from addr_unit` })
      }
      if (base.addrUnit !== 1) {
        ctx["addr_unit"] = r.nr(base.addrUnit)
        notes.push({ path: `${cp}.addr_unit`, value: base.addrUnit, kind: "extension", message: "written as addr_unit; damo versions without it monitor with 1" })
      }
      kdamonds.push({ state: null, pid: null, refresh_ms: 0, contexts: [ctx] })
    }
    return { json: { kdamonds }, notes }
  })

/** {@link toKdamondsJson} as text, indented by four spaces as damo prints it. */
export const formatKdamondsJson = (configs: ReadonlyArray<unknown>, options: WriteOptions = {}) =>
  Result.map(toKdamondsJson(configs, options), (w) => ({ text: JSON.stringify(w.json, null, 4), notes: w.notes }))
