/**
 * The flags the commands share, with their checks: a value the command cannot honour (`0` for
 * an interval, a negative count, port 70000, a URL that is not one) is refused by the parser,
 * before anything runs, with the flag, the value and the rule on one line. damo's monitoring and
 * DAMOS options keep damo's names (underscores) and syntax (`5ms`, `4K`, `max`, `50%`). Loading
 * this module loads only `effect/cli`: it is part of every start of the CLI.
 */
import * as Flag from "effect/cli/Flag"
import * as Option from "effect/Option"
import type { DamoOptions } from "./DamoOptions.ts"
import { textToUs } from "./DurationText.ts"

/** An integer flag that must be at least `min`. */
export const intAtLeast = (name: string, min: number, description: string): Flag.Flag<number> =>
  Flag.Int(name).pipe(
    Flag.filter((n) => Number.isSafeInteger(n) && n >= min, () => `must be an integer >= ${min}`),
    Flag.withDescription(description)
  )

/** A duration in damo's time syntax (`60s`, `1m 30s`, `500ms`; a bare number is seconds), > 0. */
export const duration = (name: string, description: string): Flag.Flag<number> =>
  Flag.String(name).pipe(
    Flag.mapTryCatch(
      (text) => {
        const us = textToUs(text)
        if (us === undefined || !(us > 0) || !Number.isFinite(us)) throw new Error("bad")
        return us
      },
      () => "must be a duration > 0 (60s, 1m 30s, 500ms; a bare number is seconds)"
    ),
    Flag.withDescription(description)
  )

/** `--server`: the URL of a running `effect-damon serve` (else `$EFFECT_DAMON_SERVER`). */
export const server = Flag.String("server").pipe(
  Flag.filter((u) => /^https?:\/\/[^\s/]+/.test(u), () => "must be an http:// URL such as http://127.0.0.1:8080"),
  Flag.withDescription("URL of a running `effect-damon serve` (default: $EFFECT_DAMON_SERVER)"),
  Flag.optional
)

/** `--otlp`: the base URL of an OpenTelemetry collector (OTLP/HTTP, e.g. http://127.0.0.1:4318). */
export const otlp = Flag.String("otlp").pipe(
  Flag.filter((u) => /^https?:\/\/[^\s/]+/.test(u), () => "must be an http:// URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:4318"),
  Flag.withDescription("export traces and metrics to this OpenTelemetry collector (OTLP/HTTP base URL)"),
  Flag.optional
)

/** `--workload`: a shipped masim workload name or a masim file. */
export const workload = Flag.String("workload").pipe(
  Flag.withDescription("masim workload run as pid 42: a shipped name (see `effect-damon workload list`) or a masim file"),
  Flag.withDefault("stairs")
)

/** `--seed`: seed of the simulated machine and of the kdamonds. */
export const seed = Flag.Int("seed").pipe(
  Flag.filter((n) => Number.isSafeInteger(n), () => "must be a safe integer"),
  Flag.withDescription("seed of the machine and the kdamonds (same seed, same run)"),
  Flag.withDefault(1)
)

/** `--port`. */
export const port = Flag.Int("port").pipe(
  Flag.filter((n) => n >= 0 && n <= 65535, () => "must be a TCP port in [0, 65535] (0 = any free port)"),
  Flag.withDescription("TCP port to listen on; 0 = any free port")
)

/** `--host`. */
export const host = Flag.String("host").pipe(
  Flag.withDescription("address to bind (loopback by default: the endpoint has no authentication)"),
  Flag.withDefault("127.0.0.1")
)

/** `--time`. */
export const time = Flag.Literals("time", ["real", "virtual"]).pipe(
  Flag.withDescription("kdamond time: real (wall clock) or virtual (as fast as the CPU allows)")
)

/** `--kdamond`: a kdamond index. */
export const kdamond = intAtLeast("kdamond", 0, "index of the kdamond (kdamonds/<N>/)")

/** `--kdamonds`: damo's kdamonds JSON file. */
export const kdamondsFile = Flag.String("kdamonds").pipe(
  Flag.withDescription("damo's kdamonds JSON file (as `damo args damon --format json` writes) instead of the options"),
  Flag.optional
)

const opt = (name: string, description: string) => Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)
const many = (name: string, description: string) => Flag.String(name).pipe(Flag.withDescription(description), Flag.atLeast(0))

/** damo's monitoring and DAMOS options (repeat the `--damos_*` ones for several schemes). */
export const damoFlags = {
  ops: Flag.Literals("ops", ["vaddr", "fvaddr", "paddr"]).pipe(
    Flag.withDescription("operations set: vaddr (a process, three regions), fvaddr (fixed ranges), paddr (physical memory)"),
    Flag.optional
  ),
  targetPid: intAtLeast("target_pid", 1, "process to monitor (vaddr/fvaddr; default 42, the simulated workload)").pipe(Flag.optional),
  regions: opt("regions", "initial monitoring regions: '<start>-<end> ...' (needed by fvaddr; paddr defaults to the biggest System RAM)"),
  monitoringIntervals: opt("monitoring_intervals", "<sample> <aggr> <update> intervals (default 5ms 100ms 1s)"),
  monitoringIntervalsGoal: opt("monitoring_intervals_goal", "<access_bp> <aggrs> <min_sample_us> <max_sample_us>: intervals auto-tuning"),
  monitoringNrRegionsRange: opt("monitoring_nr_regions_range", "<min> <max> number of regions (default 10 1000)"),
  damosAction: many("damos_action", "a scheme's action (pageout, cold, hot, lru_prio, lru_deprio, stat, migrate_hot <nid>, ...); repeat for more schemes"),
  damosAccessRate: many("damos_access_rate", "<min> <max> access rate of the regions to act on (percent: 0 0, 50% max)"),
  damosSzRegion: many("damos_sz_region", "<min> <max> region size (4K, 2M, max)"),
  damosAge: many("damos_age", "<min> <max> age (5s, max)"),
  damosApplyInterval: many("damos_apply_interval", "apply interval (e.g. 1s; 0 = every aggregation)"),
  damosQuotas: many("damos_quotas", "<time> <size> <reset interval> [<sz> <nr_accesses> <age> weights]"),
  damosQuotaGoal: many("damos_quota_goal", "<metric> <target> [<current>|<nid>] [<memcg path>] (needs --damos_quotas)"),
  damosNrQuotaGoals: many("damos_nr_quota_goals", "quota goals per scheme, in scheme order (with several schemes)"),
  damosFilter: many("damos_filter", "allow|reject [none] <type> [args]: anon, memcg <path>, young, hugepage_size <min> <max>, unmapped, active, addr <start> <end>, target <idx>"),
  damosNrFilters: many("damos_nr_filters", "filters per scheme, in scheme order (with several schemes)"),
  damosWmarks: many("damos_wmarks", "<metric> <interval> <high> <mid> <low> watermarks (free_mem_rate 5s 60% 30% 10%)")
}

/** The parsed values of {@link damoFlags}. */
export interface DamoFlagValues {
  readonly ops: Option.Option<string>
  readonly targetPid: Option.Option<number>
  readonly regions: Option.Option<string>
  readonly monitoringIntervals: Option.Option<string>
  readonly monitoringIntervalsGoal: Option.Option<string>
  readonly monitoringNrRegionsRange: Option.Option<string>
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

/** The flags as {@link DamoOptions}, with the positional target. */
export const toDamoOptions = (v: DamoFlagValues, target: Option.Option<string>): DamoOptions => ({
  ops: Option.getOrUndefined(v.ops),
  target: Option.getOrUndefined(target),
  targetPid: Option.getOrUndefined(v.targetPid),
  regions: Option.getOrUndefined(v.regions),
  monitoringIntervals: Option.getOrUndefined(v.monitoringIntervals),
  monitoringIntervalsGoal: Option.getOrUndefined(v.monitoringIntervalsGoal),
  monitoringNrRegionsRange: Option.getOrUndefined(v.monitoringNrRegionsRange),
  damosAction: v.damosAction,
  damosAccessRate: v.damosAccessRate,
  damosSzRegion: v.damosSzRegion,
  damosAge: v.damosAge,
  damosApplyInterval: v.damosApplyInterval,
  damosQuotas: v.damosQuotas,
  damosQuotaGoal: v.damosQuotaGoal,
  damosNrQuotaGoals: v.damosNrQuotaGoals,
  damosFilter: v.damosFilter,
  damosNrFilters: v.damosNrFilters,
  damosWmarks: v.damosWmarks
})
