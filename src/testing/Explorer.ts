/**
 * The schedule explorer: runs a scenario under many plans and schedules, checks every run's
 * history, and on the first violation shrinks the run (fewer clients, fewer operations, fewer
 * preemptions) before reporting it with a readable timeline and a replay token.
 *
 * Plans are drawn from the scenario's operation `Arbitrary` with Effect's own engine; schedules
 * come from a {@link Strategy} (PCT by default). Every run is a pure function of its token.
 *
 * @example
 * ```ts
 * it.effect("my controller", () => Explorer.assert(myScenario, { schedules: 200 }))
 * ```
 * @since 0.2.0
 */
import * as Arbitrary from "effect/Arbitrary"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { type History, invocations, size as historySize } from "./History.ts"
import type { Violation } from "./Invariants.ts"
import { type RunResult, runPlan } from "./Run.ts"
import type { Plan, Scenario } from "./Scenario.ts"
import { keepOf, shrink } from "./Shrink.ts"
import * as Strategy from "./Strategy.ts"
import * as Timeline from "./Timeline.ts"
import * as Token from "./Token.ts"

export type { RunResult } from "./Run.ts"

/** Options of {@link explore}. */
export interface Options {
  /** Schedules (runs) to explore (default 100). */
  readonly schedules?: number
  /** How each run's schedule is picked (default `Strategy.pct()`: depth 3, its step count measured). */
  readonly strategy?: Strategy.Strategy
  /** Seed of the exploration (default 1). */
  readonly seed?: number
  /** Arbitrary size of generated plans (default 10). */
  readonly size?: number
  /** Most runs spent shrinking a failure (default 200). */
  readonly shrinkRuns?: number
}

/** A run as reported: its token, plan, history and violations. */
export interface ReportedRun<Op> {
  readonly token: string
  readonly plan: Plan<Op>
  readonly history: History
  readonly violations: ReadonlyArray<Violation>
  /** Invocations in the history. */
  readonly operations: number
  /** Choices that were not the oldest ready task. */
  readonly preemptions: number
}

/** What an exploration found. */
export type Report<Op> =
  | {
    readonly _tag: "Passed"
    readonly scenario: string
    readonly schedules: number
    /** Scheduling steps over all runs. */
    readonly steps: number
    readonly strategy: string
    /**
     * Invocations over all runs, by operation (`damonCall`) and by operation and outcome
     * (`damonCall:Ok`, `commit:InvalidArgument`, `damosWalk:Interrupted`): what the exploration covered.
     */
    readonly coverage: Readonly<Record<string, number>>
  }
  | {
    readonly _tag: "Failed"
    readonly scenario: string
    /** How many schedules were run when the failure was found (1-based). */
    readonly schedules: number
    readonly found: ReportedRun<Op>
    readonly shrunk: ReportedRun<Op>
    /** Runs spent shrinking. */
    readonly shrinkRuns: number
  }

const planArbitraries = new WeakMap<object, Arbitrary.Arbitrary<Plan<unknown>>>()

/** The plans of `scenario`: 1 to `maxClients` clients of 0 to `maxOps` operations each. */
export const plans = <Op, S>(scenario: Scenario<Op, S>): Arbitrary.Arbitrary<Plan<Op>> => {
  const cached = planArbitraries.get(scenario)
  if (cached !== undefined) return cached as Arbitrary.Arbitrary<Plan<Op>>
  const made = Arbitrary.array(Arbitrary.array(scenario.op, { maxLength: scenario.maxOps ?? 4 }), {
    minLength: 1,
    maxLength: scenario.maxClients ?? 3
  }).pipe(Arbitrary.map((clients) => ({ clients })))
  planArbitraries.set(scenario, made as Arbitrary.Arbitrary<Plan<unknown>>)
  return made
}

/** The plan of run `run` of an exploration seeded `seed`. */
export const planOf = <Op, S>(scenario: Scenario<Op, S>, seed: number, run: number, size: number): Effect.Effect<Plan<Op>> =>
  Effect.map(
    Effect.orDie(Arbitrary.sampleEffect(plans(scenario), { seed: Token.runSeed(seed, run), count: 1, size })),
    (xs) => xs[0]!
  )

/** Fills in PCT's step count (the longest of ten oldest-first runs) when it was left open. */
const calibrate = <Op, S>(scenario: Scenario<Op, S>, strategy: Strategy.Strategy, seed: number, size: number) =>
  Effect.gen(function*() {
    if (strategy._tag !== "Pct" || strategy.steps > 0) return strategy
    let steps = 1
    for (let run = 0; run < 10; run++) {
      const plan = yield* planOf(scenario, seed, run, size)
      steps = Math.max(steps, (yield* runPlan(scenario, plan, Strategy.chooser(Strategy.fifo, 0), Token.runSeed(seed, run))).steps)
    }
    return Strategy.pct({ depth: strategy.depth, steps })
  })

const reported = <Op>(token: Token.Token, plan: Plan<Op>, result: RunResult): ReportedRun<Op> => ({
  token: Token.format(token),
  plan,
  history: result.history,
  violations: result.violations,
  operations: historySize(result.history),
  preemptions: result.choices.length
})

const countCoverage = (coverage: Record<string, number>, history: History): void => {
  for (const inv of invocations(history)) {
    const outcome = inv.completes[0]?.outcome
    const tag = outcome === undefined ? "Open" : outcome._tag === "Failed" ? outcome.reason : outcome._tag
    for (const key of [inv.invoke.op, `${inv.invoke.op}:${tag}`]) coverage[key] = (coverage[key] ?? 0) + 1
  }
}

/** Runs one plan of `scenario` (oldest-first unless a strategy is given): a directed test. */
export const runOnce = <Op, S>(
  scenario: Scenario<Op, S>,
  plan: Plan<Op>,
  options: { readonly strategy?: Strategy.Strategy; readonly seed?: number } = {}
): Effect.Effect<RunResult> => {
  const seed = options.seed ?? 1
  return runPlan(scenario, plan, Strategy.chooser(options.strategy ?? Strategy.fifo, seed), seed)
}

/** Explores `scenario`: runs `schedules` schedules, stops at the first violation and shrinks it. */
export const explore = <Op, S>(scenario: Scenario<Op, S>, options: Options = {}): Effect.Effect<Report<Op>> =>
  Effect.gen(function*() {
    if (scenario.id.includes(":")) return yield* Effect.die(new Error(`scenario id "${scenario.id}" must not contain ':'`))
    const seed = options.seed ?? 1
    const size = options.size ?? 10
    const schedules = options.schedules ?? 100
    const strategy = yield* calibrate(scenario, options.strategy ?? Strategy.pct(), seed, size)
    let steps = 0
    const coverage: Record<string, number> = {}
    for (let run = 0; run < schedules; run++) {
      const plan = yield* planOf(scenario, seed, run, size)
      const rs = Token.runSeed(seed, run)
      const result = yield* runPlan(scenario, plan, Strategy.chooser(strategy, rs), rs)
      steps += result.steps
      if (result.violations.length === 0) {
        countCoverage(coverage, result.history)
        continue
      }
      const token: Token.Token = { scenario: scenario.id, strategy, seed, run, size }
      const best = yield* shrink(scenario, plan, result, {
        seed: rs,
        strategy,
        budget: options.shrinkRuns ?? 200
      })
      return {
        _tag: "Failed" as const,
        scenario: scenario.id,
        schedules: run + 1,
        found: reported(token, plan, result),
        shrunk: reported({ ...token, keep: best.keep, choices: best.result.choices }, keepOf(plan, best.keep), best.result),
        shrinkRuns: best.runs
      }
    }
    return { _tag: "Passed" as const, scenario: scenario.id, schedules, steps, strategy: Strategy.format(strategy), coverage }
  })

/** Replays the run a token names (a found or a shrunk one). */
export const replay = <Op, S>(scenario: Scenario<Op, S>, token: string): Effect.Effect<RunResult & { readonly plan: Plan<Op> }> =>
  Effect.gen(function*() {
    const t = Token.parse(token)
    if (t === undefined) return yield* Effect.die(new Error(`not a replay token: ${token}`))
    if (t.scenario !== scenario.id) return yield* Effect.die(new Error(`token of scenario "${t.scenario}", not "${scenario.id}"`))
    const generated = yield* planOf(scenario, t.seed, t.run, t.size)
    const plan = t.keep === undefined ? generated : keepOf(generated, t.keep)
    const rs = Token.runSeed(t.seed, t.run)
    const chooser = t.keep === undefined ? Strategy.chooser(t.strategy, rs) : Strategy.replay(t.choices ?? [])
    return { ...(yield* runPlan(scenario, plan, chooser, rs)), plan }
  })

const planText = <Op>(plan: Plan<Op>, describe: (op: Op) => string): string =>
  plan.clients.map((ops, i) => `  c${i}: ${ops.length === 0 ? "(nothing)" : ops.map(describe).join("; ")}`).join("\n")

/** A failure report as text: violations, the shrunk plan and timeline, both tokens. */
export const formatReport = <Op, S>(scenario: Scenario<Op, S>, report: Report<Op>): string => {
  if (report._tag === "Passed") return `${report.scenario}: ${report.schedules} schedules passed (${report.strategy})`
  const describe = scenario.describe ?? ((op: Op) => JSON.stringify(op))
  const s = report.shrunk
  return [
    `${report.scenario}: invariant violated after ${report.schedules} schedule(s); shrunk in ${report.shrinkRuns} run(s) to ${s.operations} operation(s), ${s.preemptions} preemption(s)`,
    ...s.violations.slice(0, 5).map((v) => `  ${v.invariant}: ${v.message}`),
    "plan:",
    planText(s.plan, describe),
    "history:",
    Timeline.format(s.history),
    `replay: ${s.token}`,
    `(found as ${report.found.token}, ${report.found.operations} operations)`
  ].join("\n")
}

/** The failure {@link assert} fails with; its message is the whole report. */
export class ExplorationFailed extends Data.TaggedError("ExplorationFailed")<{
  readonly message: string
  readonly report: Report<unknown>
}> {}

/** Explores `scenario` and fails with the report when an invariant breaks. */
export const assert = <Op, S>(scenario: Scenario<Op, S>, options: Options = {}): Effect.Effect<void, ExplorationFailed> =>
  Effect.flatMap(explore(scenario, options), (report) =>
    report._tag === "Passed"
      ? Effect.void
      : Effect.fail(new ExplorationFailed({ message: formatReport(scenario, report), report: report as Report<unknown> })))
