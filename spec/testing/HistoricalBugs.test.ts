/**
 * The kit has teeth: seven real DAMON bugs, each re-introduced into a test-only variant of the
 * engine or of the admin tree, are found by the schedule explorer within 1000 schedules, shrunk
 * to at most 12 operations, and replayed from the printed token; the shipped engine and tree pass
 * the same scenarios (100 000 schedules in the bench, a sample here).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Explorer, type Scenario, Scenarios } from "effect-damon/testing"
import { EngineSeam } from "../../src/engine/EngineSeam.ts"
import { engineBugs } from "./BugVariants.ts"
import { refreshWithoutContextCheck } from "./SysfsBug.ts"
import * as SysfsScenario from "./SysfsScenario.ts"

const found = <Op, S>(scenario: Scenario.Scenario<Op, S>, report: Explorer.Report<Op>) => {
  if (report._tag !== "Failed") return assert.fail(`${scenario.id}: not found in ${report.schedules} schedules`)
  const text = Explorer.formatReport(scenario, report)
  assert.isAtMost(report.schedules, 1000)
  assert.isAtMost(report.shrunk.operations, 12, text)
  assert.isAtMost(report.shrunk.operations, report.found.operations, text)
  return { report, text }
}

describe("historical DAMON bugs, found and shrunk", () => {
  for (const bug of engineBugs) {
    it.effect(`${bug.name}: found, shrunk to <= 12 operations, replayed (${bug.invariants.join(" or ")})`, () =>
      Effect.gen(function*() {
        const scenario = Scenarios.make({ id: bug.name })
        const { report, text } = found(scenario, yield* Explorer.explore(scenario, { schedules: 1000 }))
        assert.include(bug.invariants, report.shrunk.violations[0]!.invariant, text)
        const again = yield* Explorer.replay(scenario, report.shrunk.token)
        assert.deepStrictEqual(again.violations, report.shrunk.violations)
        assert.deepStrictEqual(again.history, report.shrunk.history)
      }).pipe(Effect.provideService(EngineSeam, bug.engine)))
  }

  it.effect("sysfs refresh without the nr_contexts check: found, shrunk, replayed (noCrashes)", () =>
    Effect.gen(function*() {
      const scenario = SysfsScenario.make("sysfs-refresh", refreshWithoutContextCheck)
      const { report, text } = found(scenario, yield* Explorer.explore(scenario, { schedules: 1000 }))
      assert.strictEqual(report.shrunk.violations[0]!.invariant, "noCrashes", text)
      assert.include(report.shrunk.violations[0]!.message, "TypeError")
      const again = yield* Explorer.replay(scenario, report.shrunk.token)
      assert.deepStrictEqual(again.violations, report.shrunk.violations)
    }))
})

describe("the shipped engine and tree pass the same scenarios", () => {
  it.effect("control: 150 schedules (PCT)", () =>
    Effect.gen(function*() {
      const report = yield* Explorer.explore(Scenarios.control, { schedules: 150, seed: 11 })
      assert.strictEqual(report._tag, "Passed", report._tag === "Failed" ? Explorer.formatReport(Scenarios.control, report) : "")
    }))

  it.effect("sysfs: 40 schedules", () =>
    Effect.gen(function*() {
      const scenario = SysfsScenario.make("sysfs")
      const report = yield* Explorer.explore(scenario, { schedules: 40, seed: 5 })
      assert.strictEqual(report._tag, "Passed", report._tag === "Failed" ? Explorer.formatReport(scenario, report) : "")
    }))
})
