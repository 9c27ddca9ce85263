/**
 * DAMOS as a pure transform over region snapshots: given the regions of one aggregation (targets
 * with regions), the running scheme state and a clock reading, run one apply pass and report
 * what each scheme decided for each region (applied, filtered, bytes, split points) with the new
 * scheme state. For offline analysis of recorded snapshots, and the core of the Effect stream
 * transform (`TransformStream.ts`).
 *
 * Built on {@link applySchemes}, the same code the kdamond runs; nothing is re-implemented.
 * Pure: the state is copied, never mutated; randomness (for ops sets that draw) comes from a
 * seeded {@link Rng} carried in the state. Does not sample or aggregate (snapshots come
 * aggregated) and needs no Effect runtime.
 */
import * as Result from "effect/Result"
import { describeThrown } from "../../internal/boundedText.ts"
import { snapshot as guardedCopy } from "../../internal/InputSnapshot.ts"
import * as Attrs from "../../model/Attrs.ts"
import * as DamonCtx from "../../model/DamonCtx.ts"
import { type DamonError, invalidArgument, invalidArgumentText, opsFailed } from "../../model/DamonError.ts"
import { type Damos, makeStat, type Stat } from "../../model/Damos.ts"
import { transformSchemesShape } from "../../model/Limits.ts"
import type * as Region from "../../model/Region.ts"
import * as Target from "../../model/Target.ts"
import type { ApplyResult, DamonOps, OpsEnv, SystemMetrics } from "../../ops/DamonOps.ts"
import { checkedMetricsOf, faultOp } from "../OpsResults.ts"
import { makeRng } from "../Rng.ts"
import { type ApplyHooks, applySchemes } from "./ApplySchemes.ts"
import { decode as decodeScheme, fromConfig, type SchemeInput } from "./DamosConfig.ts"
import { decodeRunning, looksRunning } from "./RunningScheme.ts"
import { decodeOptions, type ReadSnapshot, readSnapshot, type Snapshot, type TransformOptions } from "./TransformInput.ts"
import { wmarkWaitUs } from "./Watermarks.ts"

export type { Snapshot, SnapshotRegion, SnapshotTarget, TransformOptions } from "./TransformInput.ts"

/** What one scheme did to one region piece. */
export interface RegionDecision {
  readonly targetIndex: number
  readonly schemeIndex: number
  readonly start: number
  readonly end: number
  /** `applied`: handed to the ops set (counted as tried); `filtered`: rejected by a core filter. */
  readonly outcome: "applied" | "filtered"
  readonly szApplied: number
  readonly szOpsFilterPassed: number
}

/** One scheme's state after a pass. */
export interface SchemeDecision {
  /** The scheme was due and active, so it ran in this pass. */
  readonly ran: boolean
  readonly activated: boolean
  /** Cumulative statistics after the pass. */
  readonly stat: Stat
  /** Statistics of this pass alone. */
  readonly delta: Stat
  readonly esz: number
  readonly minScore: number
  readonly chargedSz: number
}

/** The result of one pass. */
export interface Decisions {
  readonly nowUs: number
  readonly passedSampleIntervals: number
  /** Whether any scheme ran. */
  readonly ran: boolean
  /** Each target's regions after the pass (split pieces, ages reset by actions). */
  readonly regions: ReadonlyArray<ReadonlyArray<Region.Region>>
  /** Addresses where the pass split a region (quota trims, `addr` filters, quota resume). */
  readonly splits: ReadonlyArray<{ readonly targetIndex: number; readonly addr: number }>
  /** Every (region piece, scheme) decision, in the order the pass made them. */
  readonly actions: ReadonlyArray<RegionDecision>
  readonly schemes: ReadonlyArray<SchemeDecision>
}

/** The running state carried from one snapshot to the next. */
export interface TransformState {
  readonly attrs: Attrs.Attrs
  readonly opsId: string
  readonly minRegionSz: number
  readonly addrUnit: number
  /** Scheme state after the last pass (resume targets kept as indices in `chargeTargets`). */
  readonly schemes: ReadonlyArray<Damos>
  /** Per scheme: index of the quota resume target, `-1` for none. */
  readonly chargeTargets: ReadonlyArray<number>
  readonly passedSampleIntervals: number
  readonly rngState: ReadonlyArray<number>
  /** Targets of the snapshots so far (`undefined` before the first). */
  readonly nrTargets: number | undefined
}

/** A plain copy of statistics, for what a step hands out. */
const copyStat = (s: Stat): Stat => ({ ...s })

/** A deep copy of a running scheme (filters are immutable values and are shared). */
export const cloneDamos = (s: Damos): Damos => ({
  ...s,
  pattern: { ...s.pattern },
  quota: { ...s.quota, goals: s.quota.goals.map((g) => ({ ...g })) },
  wmarks: { ...s.wmarks },
  dests: s.dests.map((d) => ({ ...d })),
  coreFilters: [...s.coreFilters],
  opsFilters: [...s.opsFilters],
  stat: makeStat(s.stat)
})

/** The states `init` and `step` returned: `step` takes no other (a forged state could hold anything). */
const issued = new WeakSet<TransformState>()

const issue = (state: TransformState): TransformState => {
  issued.add(state)
  return state
}

/**
 * An ops set for offline use that applies nothing itself: it reports `applied` and
 * `filterPassed` as 0 (`"none"`) or as the whole region (`"all"`), and can score regions and
 * provide system metrics when given them. Ops filters are not evaluated (there are no pages).
 */
export const recordingOps = (options: {
  readonly applied?: "none" | "all"
  readonly getSchemeScore?: DamonOps["getSchemeScore"]
  readonly system?: SystemMetrics
} = {}): DamonOps => {
  const all = options.applied === "all"
  const ops: DamonOps = {
    id: "recording",
    applyScheme: (_ctx, _t, r, _s, _env, out: ApplyResult) => {
      const sz = all ? r.end - r.start : 0
      out.applied = sz
      out.filterPassed = sz
      out.costNs = 0
    },
    ...(options.getSchemeScore !== undefined ? { getSchemeScore: options.getSchemeScore } : {}),
    ...(options.system !== undefined ? { system: options.system } : {})
  }
  return ops
}

/**
 * The initial transform state for `schemes`: inputs are validated and become fresh running
 * schemes scheduled from `options.passedSampleIntervals`; running schemes (taken from a
 * kdamond's context) are copied as they are. A bad scheme or option is an `InvalidArgument`
 * naming it (`schemes[1].quota.ms`, `options.attrs.minNrRegions`).
 */
export const init = (
  schemes: ReadonlyArray<SchemeInput | Damos>,
  options: TransformOptions = {}
): Result.Result<TransformState, DamonError> => {
  const o = decodeOptions(options)
  if (Result.isFailure(o)) return Result.fail(o.failure)
  const ctx = DamonCtx.make(o.success.opsId)
  ctx.attrs = o.success.attrs
  ctx.passedSampleIntervals = o.success.passedSampleIntervals
  const copied = guardedCopy(schemes, "schemes", transformSchemesShape)
  if (Result.isFailure(copied)) return Result.fail(copied.failure)
  const list = copied.success
  if (!Array.isArray(list)) return Result.fail(invalidArgument("schemes", list, "must be an array"))
  const running: Array<Damos> = []
  for (let i = 0; i < list.length; i++) {
    const s: unknown = list[i]
    const decoded = looksRunning(s) ? decodeRunning(s, ctx, `schemes[${i}]`) : decodeSchemeInput(s, ctx, `schemes[${i}]`)
    if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
    running.push(decoded.success)
  }
  return Result.succeed(issue({
    attrs: ctx.attrs,
    opsId: ctx.opsId,
    minRegionSz: o.success.minRegionSz,
    addrUnit: o.success.addrUnit,
    schemes: running.map((s) => ({ ...s, quota: { ...s.quota, chargeTargetFrom: null } })),
    chargeTargets: running.map(() => -1),
    passedSampleIntervals: ctx.passedSampleIntervals,
    rngState: makeRng(o.success.seed).state(),
    nrTargets: undefined
  }))
}

const decodeSchemeInput = (input: unknown, ctx: DamonCtx.DamonCtx, prefix: string): Result.Result<Damos, DamonError> => {
  const decoded = decodeScheme(input, ctx.opsId, prefix)
  return Result.isFailure(decoded) ? Result.fail(decoded.failure) : Result.succeed(fromConfig(decoded.success, ctx))
}

/** Each target's region starts before the pass (a pass only splits: starts are never removed). */
const startsOf = (ctx: DamonCtx.DamonCtx): Array<Float64Array> =>
  ctx.targets.map((t) => {
    const regions = t.regions
    const starts = new Float64Array(regions.length)
    for (let i = 0; i < regions.length; i++) starts[i] = regions[i]!.start
    return starts
  })

/**
 * Where the pass split regions: the starts after the pass that were not starts before. Both
 * lists are sorted and a pass only splits, so an unchanged count means no split and otherwise
 * one merge-like walk finds them.
 */
const splitsOf = (before: ReadonlyArray<Float64Array>, ctx: DamonCtx.DamonCtx): Array<{ targetIndex: number; addr: number }> => {
  const splits: Array<{ targetIndex: number; addr: number }> = []
  for (let targetIndex = 0; targetIndex < ctx.targets.length; targetIndex++) {
    const starts = before[targetIndex]!
    const after = ctx.targets[targetIndex]!.regions
    if (after.length === starts.length) continue
    let j = 0
    for (let i = 0; i < after.length; i++) {
      const start = after[i]!.start
      while (j < starts.length && starts[j]! < start) j++
      if (j >= starts.length || starts[j] !== start) splits.push({ targetIndex, addr: start })
    }
  }
  return splits
}

const statDelta = (after: Stat, before: Stat): Stat => ({
  nrTried: after.nrTried - before.nrTried,
  szTried: after.szTried - before.szTried,
  nrApplied: after.nrApplied - before.nrApplied,
  szApplied: after.szApplied - before.szApplied,
  szOpsFilterPassed: after.szOpsFilterPassed - before.szOpsFilterPassed,
  qtExceeds: after.qtExceeds - before.qtExceeds,
  nrSnapshots: after.nrSnapshots - before.nrSnapshots
})

/**
 * One step's context, built here rather than by `DamonCtx.make` and `Target.make`: those object
 * literals are the allocation sites of a kdamond's long-lived context and targets, which V8
 * pretenures once a monitor has run in the process. A step's context and targets pretenured
 * would hold the step's young region copies alive from the old generation until a full
 * collection, so every scavenge promoted them: the transform ran 13 times slower after the
 * monitoring benchmarks than alone (docs/performance.md).
 */
const buildCtx = (state: TransformState, snapshot: ReadSnapshot): DamonCtx.DamonCtx => {
  const samplesPerAggr = Math.max(1, Math.floor(state.attrs.aggrIntervalUs / Attrs.sampleDivisor(state.attrs)))
  const targets: Array<Target.Target> = []
  for (const t of snapshot.targets) targets.push({ pid: t.pid, regions: t.regions, obsolete: false })
  const ctx: DamonCtx.DamonCtx = {
    attrs: state.attrs,
    opsId: state.opsId,
    targets,
    schemes: [],
    addrUnit: state.addrUnit,
    minRegionSz: state.minRegionSz,
    passedSampleIntervals: snapshot.passedSampleIntervals ?? state.passedSampleIntervals + samplesPerAggr,
    nextAggregationSis: 0,
    nextOpsUpdateSis: 0,
    nextIntervalsTuneSis: 0
  }
  ctx.schemes = state.schemes.map((s, i) => {
    const copy = cloneDamos(s)
    const ti = state.chargeTargets[i] ?? -1
    const t = ti >= 0 ? ctx.targets[ti] : undefined
    copy.quota.chargeTargetFrom = t ?? null
    if (t === undefined) copy.quota.chargeAddrFrom = 0
    return copy
  })
  return ctx
}

/**
 * Runs one DAMOS apply pass over `snapshot` from `state` and returns the next state with the
 * decisions. `ops` defaults to {@link recordingOps}`()`.
 *
 * **Details**
 * Builds a context from the state and the snapshot (regions copied once, and the copies are
 * the decisions' regions; `nrAccessesBp` defaults to
 * `nrAccesses * 10000`), evaluates every scheme's watermarks at `snapshot.nowUs` (as the kdamond
 * does before sampling), then runs {@link applySchemes} with hooks and an ops wrapper that record
 * every decision. Quota resume targets are carried by index, so they map onto the same target of
 * the next snapshot.
 */
export const step = (
  state: TransformState,
  snapshot: Snapshot,
  ops: DamonOps = recordingOps(),
  prefix = "snapshot"
): Result.Result<readonly [TransformState, Decisions], DamonError> => {
  if (!issued.has(state)) {
    return Result.fail(invalidArgumentText("state", "(not a transform state)", "must be a state Transform.init or Transform.step returned"))
  }
  const read = readSnapshot(snapshot, prefix, state.nrTargets)
  if (Result.isFailure(read)) return Result.fail(read.failure)
  const ctx = buildCtx(state, read.success)
  const nowUs = read.success.nowUs
  const rng = makeRng(0, state.rngState)
  const env: OpsEnv = { rng, nowUs: () => nowUs }
  const actions: Array<RegionDecision> = []
  const inner = ops.applyScheme
  // every try the ops set is handed is a decision: the wrapper drops the no-op shortcut, which
  // would count a try without calling it (`DamonOps.applyIsNoop`)
  const { applyIsNoop: _noop, ...asked } = ops
  const recording: DamonOps = inner === undefined ? ops : {
    ...asked,
    applyScheme: (c, t, r, s, e, out) => {
      inner(c, t, r, s, e, out)
      actions.push({
        targetIndex: c.targets.indexOf(t),
        schemeIndex: c.schemes.indexOf(s),
        start: r.start,
        end: r.end,
        outcome: "applied",
        szApplied: out.applied,
        szOpsFilterPassed: out.filterPassed
      })
    }
  }
  const hooks: ApplyHooks = {
    onApplied: () => {},
    walkComplete: () => {},
    onCoreFilteredOut: (t, r, s) =>
      actions.push({
        targetIndex: ctx.targets.indexOf(t),
        schemeIndex: ctx.schemes.indexOf(s),
        start: r.start,
        end: r.end,
        outcome: "filtered",
        szApplied: 0,
        szOpsFilterPassed: 0
      })
  }
  const starts = startsOf(ctx)
  const before = ctx.schemes.map((s) => makeStat(s.stat))
  let due: Array<boolean> = []
  let ran = false
  // the ops set is the caller's code: a throw, or an answer OpsResults refuses, fails the step
  let op = "system"
  try {
    const metrics = checkedMetricsOf(ops.system)
    for (const s of ctx.schemes) wmarkWaitUs(s, metrics, nowUs)
    due = ctx.schemes.map((s) => ctx.passedSampleIntervals >= s.nextApplySis && s.wmarks.activated)
    op = "applyScheme"
    ran = applySchemes(ctx, recording, env, Math.floor(nowUs / 1000), hooks)
  } catch (cause) {
    return Result.fail(opsFailed(faultOp(cause, op), cause))
  }
  const decisions: Decisions = {
    nowUs,
    passedSampleIntervals: ctx.passedSampleIntervals,
    ran,
    // the context's regions were read fresh from this snapshot for this pass alone: handed out
    // as they are, not copied again
    regions: ctx.targets.map((t) => t.regions),
    splits: splitsOf(starts, ctx),
    actions,
    schemes: ctx.schemes.map((s, i) => ({
      ran: due[i]!,
      activated: s.wmarks.activated,
      stat: copyStat(s.stat),
      delta: statDelta(s.stat, before[i]!),
      esz: s.quota.esz,
      minScore: s.quota.minScore,
      chargedSz: s.quota.chargedSz
    }))
  }
  const next: TransformState = issue({
    ...state,
    schemes: ctx.schemes.map((s) => ({ ...s, quota: { ...s.quota, chargeTargetFrom: null } })),
    chargeTargets: ctx.schemes.map((s) =>
      s.quota.chargeTargetFrom === null ? -1 : ctx.targets.indexOf(s.quota.chargeTargetFrom)
    ),
    passedSampleIntervals: ctx.passedSampleIntervals,
    rngState: rng.state(),
    nrTargets: ctx.targets.length
  })
  return Result.succeed([next, decisions] as const)
}

/**
 * Runs the schemes over a sequence of snapshots from a fresh state and returns one
 * {@link Decisions} per snapshot; the first bad input fails the run, named
 * (`snapshots[3].targets[0].regions[1].end`).
 */
export const run = (
  schemes: ReadonlyArray<SchemeInput | Damos>,
  snapshots: Iterable<Snapshot>,
  options: TransformOptions = {},
  ops: DamonOps = recordingOps()
): Result.Result<Array<Decisions>, DamonError> => {
  const initial = init(schemes, options)
  if (Result.isFailure(initial)) return Result.fail(initial.failure)
  let state = initial.success
  const out: Array<Decisions> = []
  let k = 0
  try {
    for (const snapshot of snapshots) {
      const stepped = step(state, snapshot, ops, `snapshots[${k++}]`)
      if (Result.isFailure(stepped)) return Result.fail(stepped.failure)
      state = stepped.success[0]
      out.push(stepped.success[1])
    }
  } catch (cause) {
    return Result.fail(invalidArgumentText(`snapshots[${k}]`, "(unreadable)", `iterating the snapshots threw: ${describeThrown(cause)}`))
  }
  return Result.succeed(out)
}
