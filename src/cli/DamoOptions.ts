/**
 * damo's monitoring and DAMOS command-line options (`damo start`, `tune`, `args damon`) to
 * `Damon.start` configs. The options become damo's kdamonds JSON (`_damon_args.py` builds the
 * same objects), which `KdamondsJson` reads with damo's value syntax and conversions; an error
 * about a JSON path is reported as the flag it came from (`--damos_access_rate (scheme 0)`),
 * with the value and the rule. Pure.
 */
import * as Result from "effect/Result"
import { fromKdamondsJson, type KdamondsRead } from "../damo/KdamondsJson.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { display, wordsOf } from "./DamoArgv.ts"

/** The options, as parsed flags (repeated flags in the order given). */
export interface DamoOptions {
  /** `--ops`: vaddr, fvaddr or paddr (default vaddr, or what `target` implies). */
  readonly ops: string | undefined
  /** damo's deducible target (positional): a pid, or `paddr`. */
  readonly target: string | undefined
  /** `--target_pid`: the process of a vaddr/fvaddr target (default {@link defaultPid}). */
  readonly targetPid: number | undefined
  /** `--regions`: initial regions, `start-end` pairs separated by spaces. */
  readonly regions: string | undefined
  readonly monitoringIntervals: string | undefined
  readonly monitoringIntervalsGoal: string | undefined
  readonly monitoringNrRegionsRange: string | undefined
  readonly damosAction: ReadonlyArray<string>
  readonly damosAccessRate: ReadonlyArray<string>
  readonly damosSzRegion: ReadonlyArray<string>
  readonly damosAge: ReadonlyArray<string>
  readonly damosApplyInterval: ReadonlyArray<string>
  readonly damosQuotas: ReadonlyArray<string>
  readonly damosQuotaGoal: ReadonlyArray<string>
  readonly damosNrQuotaGoals: ReadonlyArray<string>
  readonly damosFilter: ReadonlyArray<string>
  readonly damosNrFilters: ReadonlyArray<string>
  readonly damosWmarks: ReadonlyArray<string>
}

/** The pid of the simulated workload process (`serve`, `record`, `demo`). */
export const defaultPid = 42

/** No option given: vaddr on the workload, damo's default intervals, no scheme. */
export const noOptions: DamoOptions = {
  ops: undefined,
  target: undefined,
  targetPid: undefined,
  regions: undefined,
  monitoringIntervals: undefined,
  monitoringIntervalsGoal: undefined,
  monitoringNrRegionsRange: undefined,
  damosAction: [],
  damosAccessRate: [],
  damosSzRegion: [],
  damosAge: [],
  damosApplyInterval: [],
  damosQuotas: [],
  damosQuotaGoal: [],
  damosNrQuotaGoals: [],
  damosFilter: [],
  damosNrFilters: [],
  damosWmarks: []
}

type Json = Record<string, unknown>

const bad = (flag: string, value: string, rule: string): Result.Result<never, DamonError> =>
  Result.fail(invalidArgument(flag, display(value), rule))

/** Exactly `n` words of a flag value. */
const words = (flag: string, value: string, n: number, what: string): Result.Result<Array<string>, DamonError> => {
  const w = wordsOf(value)
  return w.length === n ? Result.succeed(w) : bad(flag, value, `needs ${n} values: ${what}`)
}

const count = (flag: string, value: string): Result.Result<number, DamonError> =>
  /^\d+$/.test(value) ? Result.succeed(Number(value)) : bad(flag, value, "must be a count (an integer >= 0)")

/** `--regions "a-b c-d"` as damo's target regions. */
const regionsJson = (value: string): Result.Result<Array<Json>, DamonError> => {
  const out: Array<Json> = []
  for (const word of wordsOf(value)) {
    const parts = word.split("-")
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") return bad("--regions", value, `"${word}" must be <start>-<end>`)
    out.push({ start: parts[0], end: parts[1] })
  }
  return out.length === 0 ? bad("--regions", value, "needs at least one <start>-<end> range") : Result.succeed(out)
}

/** The context's target: `--target_pid`, the positional target, or the workload's pid. */
const targetJson = (o: DamoOptions, ops: string): Result.Result<Json, DamonError> =>
  Result.gen(function*() {
    const regions = o.regions === undefined ? [] : yield* regionsJson(o.regions)
    if (ops === "paddr") {
      if (o.targetPid !== undefined) return yield* bad("--target_pid", String(o.targetPid), "paddr monitors physical memory, no process")
      return { pid: null, regions }
    }
    const positional = o.target !== undefined && /^\d+$/.test(o.target) ? Number(o.target) : undefined
    return { pid: o.targetPid ?? positional ?? defaultPid, regions }
  })

/** The operations set: `--ops`, else what the positional target says (a pid or `paddr`). */
const opsOf = (o: DamoOptions): Result.Result<string, DamonError> => {
  if (o.target !== undefined && o.target !== "paddr" && !/^\d+$/.test(o.target)) {
    return bad("target", o.target, "must be a pid or paddr (a command to run is not supported: the machine is simulated)")
  }
  const implied = o.target === "paddr" ? "paddr" : undefined
  if (o.ops !== undefined && implied !== undefined && o.ops !== implied) return bad("--ops", o.ops, `contradicts the target ${o.target}`)
  const ops = o.ops ?? implied ?? "vaddr"
  return ["vaddr", "fvaddr", "paddr"].includes(ops) ? Result.succeed(ops) : bad("--ops", ops, "must be vaddr, fvaddr or paddr")
}

/** damo's filter words (`allow|reject [none] <type> [args]`, or the older `<type> matching|nomatching [args] [allow|reject]`). */
const filtersJson = (value: string): Result.Result<Array<Json>, DamonError> => {
  const flag = "--damos_filter"
  const w = wordsOf(value)
  if (w[0] !== "allow" && w[0] !== "reject") {
    // damo's v1 form, converted as damo converts it
    if (w.length < 2 || (w[1] !== "matching" && w[1] !== "nomatching")) {
      return bad(flag, value, "must be 'allow|reject [none] <type> [args]' (or damo's older '<type> matching|nomatching [args] [allow|reject]')")
    }
    let rest = w.slice(2)
    let verdict = "reject"
    const last = rest[rest.length - 1]
    if (last === "allow" || last === "pass" || last === "reject" || last === "block") {
      verdict = last === "allow" || last === "pass" ? "allow" : "reject"
      rest = rest.slice(0, -1)
    }
    return filtersJson([verdict, ...(w[1] === "nomatching" ? ["none"] : []), w[0]!, ...rest].join(" "))
  }
  return Result.gen(function*() {
    const out: Array<Json> = []
    let i = 0
    const take = (n: number, type: string, what: string) =>
      i + n <= w.length ? Result.succeed(w.slice(i, (i += n))) : bad(flag, value, `a ${type} filter needs ${what}`)
    while (i < w.length) {
      const verdict = w[i++]
      if (verdict !== "allow" && verdict !== "reject") return yield* bad(flag, value, `"${verdict}" must be allow or reject`)
      const matching = w[i] !== "none"
      if (!matching) i++
      const type = w[i++] ?? ""
      const f: Json = { filter_type: type, matching, allow: verdict === "allow" }
      if (type === "memcg") f["memcg_path"] = (yield* take(1, type, "a memcg path"))[0]
      else if (type === "target") f["damon_target_idx"] = (yield* take(1, type, "a target index"))[0]
      else if (type === "addr") {
        const [start, end] = yield* take(2, type, "<start> <end>")
        f["address_range"] = { start, end }
      } else if (type === "hugepage_size") {
        const [min, max] = yield* take(2, type, "<min> <max>")
        f["hugepage_size"] = { min, max }
      } else if (!["anon", "young", "unmapped", "active"].includes(type)) {
        return yield* bad(flag, value, `unknown filter type "${type}" (anon, memcg, young, hugepage_size, unmapped, active, addr, target)`)
      }
      out.push(f)
    }
    return out
  })
}

/** `--damos_quota_goal <metric> <target> [<current>|<nid>] [<memcg path>]`. */
const goalJson = (value: string): Result.Result<Json, DamonError> => {
  const flag = "--damos_quota_goal"
  const w = wordsOf(value)
  const [metric, target, third, fourth] = w
  if (metric === undefined || target === undefined) return bad(flag, value, "needs <metric> <target value> [<current value>|<nid>] [<memcg path>]")
  if (metric === "user_input") {
    if (w.length !== 3) return bad(flag, value, "user_input needs <target value> <current value>")
    return Result.succeed({ metric, target_value: target, current_value: third })
  }
  if (metric === "node_memcg_used_bp" || metric === "node_memcg_free_bp") {
    if (w.length !== 4) return bad(flag, value, `${metric} needs <target value> <nid> <memcg path>`)
    return Result.succeed({ metric, target_value: target, nid: third, memcg_path: fourth })
  }
  if (metric === "node_mem_used_bp" || metric === "node_mem_free_bp") {
    if (w.length !== 3) return bad(flag, value, `${metric} needs <target value> <nid>`)
    return Result.succeed({ metric, target_value: target, nid: third })
  }
  if (w.length !== 2) return bad(flag, value, `${metric} needs only <target value>`)
  return Result.succeed({ metric, target_value: target })
}

/** Splits `items` by per-scheme counts (`--damos_nr_filters`, `--damos_nr_quota_goals`). */
const perScheme = <A>(
  items: ReadonlyArray<A>,
  counts: ReadonlyArray<string>,
  nrSchemes: number,
  itemFlag: string,
  countFlag: string
): Result.Result<Array<ReadonlyArray<A>>, DamonError> =>
  Result.gen(function*() {
    if (items.length === 0 && counts.length === 0) return Array.from({ length: nrSchemes }, () => [])
    if (nrSchemes === 0) return yield* bad(itemFlag, String(items[0] ?? counts[0]), "needs a --damos_action")
    let ns: Array<number>
    if (counts.length === 0) {
      if (nrSchemes > 1) return yield* bad(itemFlag, String(items[0]), `${countFlag} is needed with more than one --damos_action`)
      ns = [items.length]
    } else {
      ns = []
      for (const c of counts) ns.push(yield* count(countFlag, c))
    }
    if (ns.length !== nrSchemes || ns.reduce((a, b) => a + b, 0) !== items.length) {
      return yield* bad(countFlag, counts.join(" "), `must give one count per --damos_action (${nrSchemes}) adding up to the ${items.length} ${itemFlag}`)
    }
    const out: Array<ReadonlyArray<A>> = []
    let from = 0
    for (const n of ns) {
      out.push(items.slice(from, from + n))
      from += n
    }
    return out
  })

const schemesJson = (o: DamoOptions): Result.Result<Array<Json>, DamonError> =>
  Result.gen(function*() {
    const n = o.damosAction.length
    const perSchemeFlags: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
      ["--damos_access_rate", o.damosAccessRate],
      ["--damos_sz_region", o.damosSzRegion],
      ["--damos_age", o.damosAge],
      ["--damos_apply_interval", o.damosApplyInterval],
      ["--damos_quotas", o.damosQuotas],
      ["--damos_wmarks", o.damosWmarks]
    ]
    for (const [flag, values] of perSchemeFlags) {
      if (values.length > n) return yield* bad(flag, values[n]!, `one more than the ${n} --damos_action given (one per scheme, in order)`)
    }
    const goals = yield* perScheme(o.damosQuotaGoal, o.damosNrQuotaGoals, n, "--damos_quota_goal", "--damos_nr_quota_goals")
    const filters = yield* perScheme(o.damosFilter, o.damosNrFilters, n, "--damos_filter", "--damos_nr_filters")
    const out: Array<Json> = []
    for (let i = 0; i < n; i++) {
      const aw = wordsOf(o.damosAction[i]!)
      const action = aw[0] ?? ""
      const scheme: Json = { action }
      if (action === "migrate_hot" || action === "migrate_cold") {
        if (aw.length !== 2 || !/^\d+$/.test(aw[1]!)) return yield* bad("--damos_action", o.damosAction[i]!, `${action} needs a numeric target node: ${action} <nid>`)
        scheme["target_nid"] = aw[1]
      } else if (aw.length !== 1) return yield* bad("--damos_action", o.damosAction[i]!, "takes one action (a target node only for migrate_hot/migrate_cold)")
      const pair = (flag: string, values: ReadonlyArray<string>) =>
        values[i] === undefined ? Result.succeed(["min", "max"]) : words(flag, values[i]!, 2, "<min> <max>")
      const rate = yield* pair("--damos_access_rate", o.damosAccessRate)
      const sz = yield* pair("--damos_sz_region", o.damosSzRegion)
      const age = yield* pair("--damos_age", o.damosAge)
      scheme["access_pattern"] = { sz_bytes: { min: sz[0], max: sz[1] }, nr_accesses: { min: rate[0], max: rate[1] }, age: { min: age[0], max: age[1] } }
      if (o.damosApplyInterval[i] !== undefined) scheme["apply_interval_us"] = (yield* words("--damos_apply_interval", o.damosApplyInterval[i]!, 1, "<interval>"))[0]
      const goalJsons: Array<Json> = []
      for (const g of goals[i]!) goalJsons.push(yield* goalJson(g))
      if (o.damosQuotas[i] !== undefined) {
        const q = wordsOf(o.damosQuotas[i]!)
        if (q.length > 6) return yield* bad("--damos_quotas", o.damosQuotas[i]!, "takes at most 6 values: <time> <size> <reset interval> [<sz weight> <nr_accesses weight> <age weight>]")
        scheme["quotas"] = {
          time_ms: q[0] ?? "0",
          sz_bytes: q[1] ?? "0",
          reset_interval_ms: q[2] ?? "max",
          weights: { sz_permil: q[3] ?? "0 %", nr_accesses_permil: q[4] ?? "0 %", age_permil: q[5] ?? "0 %" },
          goals: goalJsons
        }
      } else if (goalJsons.length > 0) {
        return yield* bad("--damos_quota_goal", goals[i]![0]!, `scheme ${i} has no --damos_quotas (damo applies goals only with quotas)`)
      }
      if (o.damosWmarks[i] !== undefined) {
        const w = yield* words("--damos_wmarks", o.damosWmarks[i]!, 5, "<metric> <interval> <high> <mid> <low>")
        scheme["watermarks"] = { metric: w[0], interval_us: w[1], high_permil: w[2], mid_permil: w[3], low_permil: w[4] }
      }
      const filterJsons: Array<Json> = []
      for (const f of filters[i]!) filterJsons.push(...(yield* filtersJson(f)))
      scheme["filters"] = filterJsons
      out.push(scheme)
    }
    return out
  })

/** The kdamonds JSON document the options describe (what `damo args damon` prints for them). */
export const optionsToKdamondsJson = (o: DamoOptions): Result.Result<Json, DamonError> =>
  Result.gen(function*() {
    const ops = yield* opsOf(o)
    const ctx: Json = { ops, targets: [yield* targetJson(o, ops)] }
    if (o.monitoringIntervals !== undefined) {
      const w = yield* words("--monitoring_intervals", o.monitoringIntervals, 3, "<sample> <aggr> <update>")
      ctx["intervals"] = { sample_us: w[0], aggr_us: w[1], ops_update_us: w[2] }
    }
    if (o.monitoringIntervalsGoal !== undefined) {
      const w = yield* words("--monitoring_intervals_goal", o.monitoringIntervalsGoal, 4, "<access_bp> <aggrs> <min_sample_us> <max_sample_us>")
      const intervals = (ctx["intervals"] as Json | undefined) ?? {}
      ctx["intervals"] = { ...intervals, intervals_goal: { access_bp: w[0], aggrs: w[1], min_sample_us: w[2], max_sample_us: w[3] } }
    }
    if (o.monitoringNrRegionsRange !== undefined) {
      const w = yield* words("--monitoring_nr_regions_range", o.monitoringNrRegionsRange, 2, "<min> <max>")
      ctx["nr_regions"] = { min: w[0], max: w[1] }
    }
    ctx["schemes"] = yield* schemesJson(o)
    return { kdamonds: [{ contexts: [ctx] }] }
  })

/** The flag a JSON path of {@link optionsToKdamondsJson}'s document came from. */
export const flagOfPath = (path: string): string => {
  const scheme = /schemes\[(\d+)\]/.exec(path)
  const at = scheme === null ? "" : ` (scheme ${scheme[1]})`
  const table: ReadonlyArray<readonly [RegExp, string]> = [
    [/intervals_goal/, "--monitoring_intervals_goal"],
    [/contexts\[0\]\.intervals/, "--monitoring_intervals"],
    [/contexts\[0\]\.nr_regions/, "--monitoring_nr_regions_range"],
    [/\.ops$/, "--ops"],
    [/targets\[\d+\]\.regions/, "--regions"],
    [/targets/, "--target_pid"],
    [/access_pattern\.sz_bytes/, "--damos_sz_region"],
    [/access_pattern\.nr_accesses/, "--damos_access_rate"],
    [/access_pattern\.age/, "--damos_age"],
    [/apply_interval_us/, "--damos_apply_interval"],
    [/quotas\.goals/, "--damos_quota_goal"],
    [/quotas/, "--damos_quotas"],
    [/watermarks/, "--damos_wmarks"],
    [/filters/, "--damos_filter"],
    [/schemes\[\d+\]/, "--damos_action"]
  ]
  for (const [re, flag] of table) if (re.test(path)) return `${flag}${at}`
  return path
}

/**
 * The `Damon.start` config the options describe, with damo's defaults for what is not given;
 * an error names the flag, the value and the rule.
 */
export const optionsToConfigs = (o: DamoOptions): Result.Result<KdamondsRead, DamonError> =>
  Result.flatMap(optionsToKdamondsJson(o), (doc) =>
    Result.mapError(fromKdamondsJson(doc), (e) => {
      const r = e.reason
      return r._tag === "InvalidArgument" ? invalidArgument(flagOfPath(r.field), JSON.parse(r.value) as unknown, r.rule) : e
    }))

/** Whether any monitoring or DAMOS option was given (they cannot be combined with `--kdamonds`). */
export const anyGiven = (o: DamoOptions): string | undefined => {
  const single: ReadonlyArray<readonly [string, unknown]> = [
    ["--ops", o.ops],
    ["--target_pid", o.targetPid],
    ["--regions", o.regions],
    ["--monitoring_intervals", o.monitoringIntervals],
    ["--monitoring_intervals_goal", o.monitoringIntervalsGoal],
    ["--monitoring_nr_regions_range", o.monitoringNrRegionsRange]
  ]
  for (const [flag, v] of single) if (v !== undefined) return flag
  if (o.target !== undefined) return "target"
  const lists: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
    ["--damos_action", o.damosAction],
    ["--damos_access_rate", o.damosAccessRate],
    ["--damos_sz_region", o.damosSzRegion],
    ["--damos_age", o.damosAge],
    ["--damos_apply_interval", o.damosApplyInterval],
    ["--damos_quotas", o.damosQuotas],
    ["--damos_quota_goal", o.damosQuotaGoal],
    ["--damos_filter", o.damosFilter],
    ["--damos_wmarks", o.damosWmarks]
  ]
  for (const [flag, v] of lists) if (v.length > 0) return flag
  return undefined
}
