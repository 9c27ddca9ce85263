/**
 * The standard scenarios: clients exercising every control operation of one kdamond (prompt,
 * loop and aggregation calls, throwing calls, repeat calls, walks, withdrawals, valid and
 * refused commits, quota-goal commits, counters, event subscriptions, stop and restart), on the
 * kit's fake operations set. `control` is the standard scenario of the benchmarks;
 * `watermarks` adds schemes that memory pressure switches off and on.
 *
 * @since 0.2.0
 */
import * as Arbitrary from "effect/Arbitrary"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { DamonConfigInput } from "../core/BuildCtx.ts"
import type { CallPoint } from "../engine/Control.ts"
import type { TimeMode } from "../engine/World.ts"
import * as FakeOps from "./FakeOps.ts"
import { invocations } from "./History.ts"
import { all, type Bounds, type Invariant } from "./Invariants.ts"
import { Deliberate } from "./Recorder.ts"
import type { Scenario } from "./Scenario.ts"
import { shapeOfConfig } from "./Shape.ts"

/** One operation of a standard scenario's client. */
export type Op =
  | { readonly _tag: "Sleep"; readonly us: number }
  | { readonly _tag: "Call"; readonly at: CallPoint; readonly throws: boolean }
  | { readonly _tag: "Repeat"; readonly at: "sample" | "aggregation"; readonly forUs: number }
  | { readonly _tag: "Walk" }
  | { readonly _tag: "Withdraw"; readonly what: "call" | "walk"; readonly afterUs: number }
  | { readonly _tag: "Commit"; readonly config: number }
  | { readonly _tag: "CommitBad"; readonly config: number }
  | { readonly _tag: "CommitGoals"; readonly value: number }
  | { readonly _tag: "Stats" }
  | { readonly _tag: "Subscribe" }
  | { readonly _tag: "Memory"; readonly freePermil: number }
  | { readonly _tag: "Stop" }
  | { readonly _tag: "Restart" }

const sampleUs = 1_000
const MiB = 1 << 20
const attrs = { sampleIntervalUs: sampleUs, aggrIntervalUs: 5 * sampleUs, minNrRegions: 3, maxNrRegions: 10 }
const goal = { metric: "user_input", targetValue: 100, currentValue: 0 } as const
const wmarks = { metric: "free_mem_rate", intervalUs: 3 * sampleUs, high: 600, mid: 500, low: 100 } as const

/** The configs commits pick from; the first is the one the kdamond starts with. */
export const configs: ReadonlyArray<DamonConfigInput> = [
  {
    ops: "fake",
    targets: [{}],
    attrs,
    schemes: [
      { action: "stat" },
      { action: "cold", pattern: { maxNrAccesses: 0 }, applyIntervalUs: 15 * sampleUs, quota: { sz: 64 * MiB, goals: [goal] } }
    ]
  },
  {
    ops: "fake",
    targets: [{}],
    attrs: { ...attrs, aggrIntervalUs: 10 * sampleUs },
    schemes: [{ action: "pageout", pattern: { minNrAccesses: 1 } }, { action: "stat" }, { action: "lru_prio" }]
  },
  { ops: "fake", targets: [{}], attrs: { ...attrs, sampleIntervalUs: 2 * sampleUs, aggrIntervalUs: 10 * sampleUs }, schemes: [] }
]

/** Configs every commit of must be refused, and change nothing. */
export const badConfigs: ReadonlyArray<DamonConfigInput> = [
  // refused on the kdamond: no running target 2 to remove (after the schemes would have changed)
  { ops: "fake", targets: [{}, {}, { obsolete: true }], attrs, schemes: [{ action: "pageout" }] },
  // refused on the kdamond: watermarks need memory metrics the "blind" set lacks
  { ops: "blind", targets: [{}], attrs, schemes: [{ action: "stat", wmarks }] },
  // refused when decoded
  { ops: "fake", targets: [{}], attrs: { ...attrs, minNrRegions: 2 } }
]

const badShapes = new Set(badConfigs.flatMap((c) => shapeOfConfig(c) ?? []))

/**
 * Commits of the bad configs are refused: they fail `InvalidArgument`, unless their kdamond had
 * stopped first (`Canceled`, `NotRunning`); and the refusal changes nothing (`commitsAtomic`).
 */
export const refusedCommits: Invariant = {
  name: "refusedCommits",
  description: "a commit of a bad config fails InvalidArgument (or finds its kdamond stopped)",
  check: ({ history }) =>
    invocations(history).flatMap((inv) => {
      const { op, shape, id, kdamond } = inv.invoke
      if (op !== "commit" || (shape !== undefined && !badShapes.has(shape))) return []
      const o = inv.completes[0]?.outcome
      if (o === undefined || (o._tag === "Failed" && o.reason === "InvalidArgument")) return []
      // a stop cancels what is queued (the reply comes inside the stop, before its probe reports it)
      const stopped = history.some((e) => e._tag === "Stopped" && e.kdamond === kdamond)
      if (stopped && o._tag === "Failed" && (o.reason === "Canceled" || o.reason === "NotRunning")) return []
      return [`commit #${id} of a bad config ended ${o._tag === "Failed" ? o.reason : o._tag}, not InvalidArgument`]
    })
}

const wmarkConfig: DamonConfigInput = {
  ops: "fake",
  targets: [{}],
  attrs,
  schemes: [{ action: "stat", wmarks }, { action: "cold", pattern: { maxNrAccesses: 0 } }]
}

const OpSeed = Schema.Struct({
  kind: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 99 })),
  a: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 5 })),
  b: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 3 * sampleUs }))
})

const points: ReadonlyArray<CallPoint> = ["sample", "loop", "aggregation"]

/** Maps a drawn seed to an operation by weight (shrinking the kind moves towards a sleep). */
const toOp = (memory: boolean) => ({ kind, a, b }: typeof OpSeed.Type): Op => {
  if (kind < 14) return { _tag: "Sleep", us: b }
  if (kind < 44) return { _tag: "Call", at: points[a % 3]!, throws: a === 5 }
  if (kind < 49) return { _tag: "Repeat", at: a % 2 === 0 ? "sample" : "aggregation", forUs: 2 * b }
  if (kind < 59) return { _tag: "Walk" }
  if (kind < 66) return { _tag: "Withdraw", what: a % 2 === 0 ? "call" : "walk", afterUs: 3 * b }
  if (kind < 74) return { _tag: "Commit", config: a % configs.length }
  if (kind < 79) return { _tag: "CommitBad", config: a % badConfigs.length }
  if (kind < 83) return { _tag: "CommitGoals", value: b }
  if (kind < 86) return { _tag: "Stats" }
  if (kind < 88) return { _tag: "Subscribe" }
  if (kind < 91) return memory ? { _tag: "Memory", freePermil: [50, 300, 550, 900][a % 4]! } : { _tag: "Stats" }
  if (kind < 96) return { _tag: "Stop" }
  return { _tag: "Restart" }
}

/** A short text for an operation. */
export const describe = (op: Op): string => {
  switch (op._tag) {
    case "Sleep":
      return `sleep ${op.us}us`
    case "Call":
      return `call(${op.at}${op.throws ? ", throws" : ""})`
    case "Repeat":
      return `repeat(${op.at}) for ${op.forUs}us`
    case "Walk":
      return "walk"
    case "Withdraw":
      return `${op.what} withdrawn after ${op.afterUs}us`
    case "Commit":
      return `commit config ${op.config}`
    case "CommitBad":
      return `commit bad config ${op.config}`
    case "CommitGoals":
      return `commit goal ${op.value}`
    case "Stats":
      return "stats"
    case "Subscribe":
      return "subscribe to events"
    case "Memory":
      return `free memory ${op.freePermil}‰`
    case "Stop":
      return "stop"
    case "Restart":
      return "restart"
  }
}

/** Options of {@link make}. */
export interface ControlOptions {
  /** Scenario id (default `"control"`, or `"watermarks"`). */
  readonly id?: string
  /** Start with schemes that memory pressure deactivates, and let clients change free memory. */
  readonly watermarks?: boolean
  /** How kdamonds wait for time (default `"virtual"`). */
  readonly time?: TimeMode
  /** Start config instead of the standard one (with `bounds` to match its intervals). */
  readonly config?: DamonConfigInput
  readonly bounds?: Bounds
  readonly maxClients?: number
  readonly maxOps?: number
}

/** A standard control scenario. */
export const make = (options: ControlOptions = {}): Scenario<Op, void> => {
  const memory = options.watermarks === true
  const freeMemRate = { value: 900 }
  const start = options.config ?? (memory ? wmarkConfig : configs[0]!)
  return {
    id: options.id ?? (memory ? "watermarks" : "control"),
    config: start,
    time: options.time ?? "virtual",
    ops: {
      fake: FakeOps.make({ freeMemRate, hot: [{ start: 0, end: 16 * MiB }] }),
      blind: FakeOps.make({ id: "blind" })
    },
    op: Arbitrary.schema(OpSeed).pipe(Arbitrary.map(toOp(memory))),
    maxClients: options.maxClients ?? 3,
    maxOps: options.maxOps ?? 4,
    describe,
    invariants: [...all, refusedCommits],
    bounds: options.bounds ?? {
      promptUs: memory ? wmarks.intervalUs : 2 * sampleUs,
      aggregationUs: memory ? Infinity : 10 * sampleUs + 2 * sampleUs
    },
    horizonUs: 200 * sampleUs,
    // every run starts with plenty of free memory (runs are sequential, each one synchronous)
    setup: () => Effect.sync(() => void (freeMemRate.value = 900)),
    perform: (op, client, _state, env) => {
      const k = client.kdamond
      switch (op._tag) {
        case "Sleep":
          return client.sleep(op.us)
        case "Call":
          return Effect.ignore(k.damonCall((ctx) => {
            if (op.throws) throw new Deliberate("a call that throws")
            return ctx.passedSampleIntervals
          }, { at: op.at }))
        case "Repeat":
          return client.interruptAfter(op.forUs, k.damonCallRepeat(() => undefined, { at: op.at }))
        case "Walk":
          return Effect.ignore(k.damosWalk(() => undefined))
        case "Withdraw":
          return client.interruptAfter(
            op.afterUs,
            op.what === "call" ? k.damonCall(() => undefined, { at: "aggregation" }) : k.damosWalk(() => undefined)
          )
        case "Commit":
          return Effect.ignore(k.commit(configs[op.config]!))
        case "CommitBad":
          return Effect.ignore(k.commit(badConfigs[op.config]!))
        case "CommitGoals":
          return Effect.ignore(k.commitQuotaGoals([[], [{ ...goal, currentValue: op.value }]]))
        case "Stats":
          return Effect.asVoid(k.stats)
        case "Subscribe":
          return Effect.asVoid(Effect.forkDetach(client.op("events", "", Stream.runCount(k.events)), { startImmediately: true }))
        case "Memory":
          return Effect.sync(() => void (freeMemRate.value = op.freePermil))
        case "Stop":
          return Effect.ignore(k.stop)
        case "Restart":
          return Effect.asVoid(client.op("restart", "", env.restart))
      }
    }
  }
}

/** The standard scenario. */
export const control: Scenario<Op, void> = make()

/** The standard scenario with watermark-driven deactivation. */
export const watermarks: Scenario<Op, void> = make({ watermarks: true })
