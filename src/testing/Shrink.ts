/**
 * Shrinking a failing run: fewer clients, then fewer operations, then fewer preemptions, until
 * nothing more can go or the budget is spent. A candidate counts when it still breaks the same
 * invariant. Each candidate first replays the current explicit schedule (the choices that were
 * not the oldest task); when that no longer fails, the original strategy with the original seed
 * gets a try. The result keeps the schedule the accepted run actually took.
 */
import * as Effect from "effect/Effect"
import { type RunResult, runPlan } from "./Run.ts"
import type { Plan, Scenario } from "./Scenario.ts"
import * as Strategy from "./Strategy.ts"

type Keep = ReadonlyArray<readonly [number, ReadonlyArray<number>]>

/** Keeps, of each listed client of `plan`, the listed operations. */
export const keepOf = <Op>(plan: Plan<Op>, keep: Keep): Plan<Op> => ({
  clients: keep.map(([c, ops]) => ops.map((i) => plan.clients[c]![i]!))
})

/** The smallest failing run found. */
export interface Shrunk {
  readonly keep: Keep
  readonly result: RunResult
  readonly runs: number
}

/** Shrinks `first` (a failing run of `plan`). */
export const shrink = <Op, S>(
  scenario: Scenario<Op, S>,
  plan: Plan<Op>,
  first: RunResult,
  options: { readonly seed: number; readonly strategy: Strategy.Strategy; readonly budget: number }
): Effect.Effect<Shrunk> =>
  Effect.gen(function*() {
    const target = first.violations[0]!.invariant
    let keep: Keep = plan.clients.map((ops, c) => [c, ops.map((_, i) => i)] as const)
    let best = first
    let runs = 0
    const fails = (r: RunResult) => r.violations.some((v) => v.invariant === target)

    /** Runs the candidate (replayed schedule, then the strategy); adopts it if it still fails. */
    const attempt = (k: Keep, choices: ReadonlyArray<readonly [number, number]>, withStrategy: boolean) =>
      Effect.gen(function*() {
        const schedules = [Strategy.replay(choices), ...(withStrategy ? [Strategy.chooser(options.strategy, options.seed)] : [])]
        for (const chooser of schedules) {
          if (runs >= options.budget) return false
          runs++
          const r = yield* runPlan(scenario, keepOf(plan, k), chooser, options.seed)
          if (fails(r)) {
            keep = k
            best = r
            return true
          }
        }
        return false
      })

    let progress = true
    while (progress && runs < options.budget) {
      progress = false
      // fewer clients
      for (let c = keep.length - 1; c >= 0 && keep.length > 1; c--) {
        if (yield* attempt(keep.filter((_, i) => i !== c), best.choices, true)) progress = true
      }
      // fewer operations, the last ones first
      for (let c = keep.length - 1; c >= 0; c--) {
        for (let j = keep[c]![1].length - 1; j >= 0; j--) {
          const cand = keep.map(([cc, os], i) => (i === c ? [cc, os.filter((_, x) => x !== j)] as const : [cc, os] as const))
          if (yield* attempt(cand, best.choices, true)) progress = true
        }
      }
      // fewer preemptions: none at all, then one at a time
      if (best.choices.length > 0 && (yield* attempt(keep, [], false))) progress = true
      for (let i = best.choices.length - 1; i >= 0; i--) {
        const choices = best.choices.filter((_, j) => j !== i)
        if (yield* attempt(keep, choices, false)) progress = true
      }
    }
    return { keep, result: best, runs }
  })
