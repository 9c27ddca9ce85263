/**
 * Testing-kit benchmarks: how fast the schedule explorer runs the standard scenario, whether it
 * finds each of the seven historical DAMON bugs (test-only variants, `spec/testing/`) within 1000
 * schedules and 10 s, how small it shrinks them, and the last mutation score of `src/engine/`
 * (`npm run mutation`). `testing-soak` (only when named) runs the shipped engine and admin tree
 * through 100 000 schedules of the same scenarios.
 */
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { loadavg } from "node:os"
import { Explorer, type Scenario, Scenarios, Strategy } from "effect-damon/testing"
import { EngineSeam } from "../src/engine/EngineSeam.ts"
import { SysfsSeam } from "../src/sysfs/SysfsSeam.ts"
import { engineBugs } from "../spec/testing/BugVariants.ts"
import { refreshWithoutContextCheck } from "../spec/testing/SysfsBug.ts"
import * as SysfsScenario from "../spec/testing/SysfsScenario.ts"
import { type Bench, median, nowMs } from "./Harness.ts"

const load = () => `load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on 2 cores`

/** Schedules per second of `scenario` over `schedules` runs: of wall time, and of this process's CPU time. */
const rate = async <Op, S>(scenario: Scenario.Scenario<Op, S>, schedules: number, seed: number, strategy: Strategy.Strategy) => {
  const t0 = nowMs()
  const c0 = process.cpuUsage()
  const report = await Effect.runPromise(Explorer.explore(scenario, { schedules, seed, strategy }))
  if (report._tag === "Failed") throw new Error(Explorer.formatReport(scenario, report))
  const cpu = process.cpuUsage(c0)
  return { wall: (schedules / (nowMs() - t0)) * 1000, cpu: schedules / ((cpu.user + cpu.system) / 1e6) }
}

interface Hunt {
  readonly name: string
  readonly found: boolean
  readonly schedules: number
  readonly findMs: number
  readonly shrunkOps: number
}

/** Finds a bug (time to find, no shrinking), then explores again with shrinking for its size. */
const hunt = async <Op, S>(name: string, scenario: Scenario.Scenario<Op, S>, provide: <A>(e: Effect.Effect<A>) => Effect.Effect<A>): Promise<Hunt> => {
  const t0 = nowMs()
  const first = await Effect.runPromise(provide(Explorer.explore(scenario, { schedules: 1000, shrinkRuns: 0 })))
  const findMs = nowMs() - t0
  if (first._tag === "Passed") return { name, found: false, schedules: 1000, findMs, shrunkOps: Infinity }
  const shrunk = await Effect.runPromise(provide(Explorer.explore(scenario, { schedules: 1000 })))
  const ops = shrunk._tag === "Failed" ? shrunk.shrunk.operations : Infinity
  return { name, found: findMs <= 10_000, schedules: first.schedules, findMs, shrunkOps: ops }
}

/** The last `npm run mutation`'s score and what it covered, from its summary. */
const mutationScore = (): { readonly score: number; readonly covered: string } => {
  try {
    const summary = JSON.parse(readFileSync(new URL("./results/mutation.json", import.meta.url), "utf8")) as {
      readonly score: number
      readonly files?: ReadonlyArray<string>
      readonly count: Record<string, number>
    }
    const mutants = Object.values(summary.count).reduce((a, b) => a + b, 0)
    const files = summary.files === undefined ? "src/engine/" : summary.files.join(", ")
    return { score: summary.score, covered: `${mutants} mutants of ${files}` }
  } catch {
    return { score: Number.NaN, covered: "no summary" }
  }
}

export const testingBench: Bench = {
  name: "testing",
  run: async () => {
    await rate(Scenarios.control, 100, 99, Strategy.pct())
    const rates: Array<{ readonly wall: number; readonly cpu: number }> = []
    for (const seed of [1, 2, 3]) rates.push(await rate(Scenarios.control, 500, seed, seed === 2 ? Strategy.random : Strategy.pct()))
    const rateLoad = load()
    const hunts: Array<Hunt> = []
    for (const bug of engineBugs) {
      hunts.push(await hunt(bug.name, Scenarios.make({ id: bug.name }), (e) => Effect.provideService(e, EngineSeam, bug.engine)))
    }
    hunts.push(await hunt("sysfs-refresh", SysfsScenario.make("sysfs-refresh", refreshWithoutContextCheck), (e) => Effect.provideService(e, SysfsSeam, refreshWithoutContextCheck)))
    const mutation = mutationScore()
    const detail = hunts.map((h) => `${h.name} ${h.found ? `${h.schedules} sched ${(h.findMs / 1000).toFixed(1)} s ${h.shrunkOps} ops` : "MISSED"}`).join("; ")
    return {
      "testing.schedulesPerSec": {
        value: median(rates.map((r) => r.wall)),
        unit: "schedules/s",
        goal: ">= 300",
        note: `standard scenario (control), 500 schedules x 3 (PCT, random, PCT), median, wall clock; ${rateLoad}`
      },
      "testing.schedulesPerCpuSec": {
        value: median(rates.map((r) => r.cpu)),
        unit: "schedules/CPU-s",
        goal: ">= 300",
        note: "the same runs per second of this process's CPU time (what a shared machine's load does not skew)"
      },
      "testing.bugsFound": {
        value: hunts.filter((h) => h.found).length,
        unit: "of 7",
        goal: "7",
        note: `found within 1000 schedules and 10 s each: ${detail}; ${load()}`
      },
      "testing.medianShrunkOps": {
        value: median(hunts.map((h) => h.shrunkOps)),
        unit: "operations",
        goal: "<= 12",
        note: "median over the 7 bugs of the shrunk history's invocations (harness start and stop included)"
      },
      "mutation.engineScore": {
        value: mutation.score,
        unit: "%",
        goal: ">= 85",
        note: `mutants killed or timed out / valid mutants, from bench/results/mutation.json (npm run mutation): ${mutation.covered}`
      }
    }
  }
}

export const testingSoakBench: Bench = {
  name: "testing-soak",
  onlyWhenNamed: true,
  run: async () => {
    const t0 = nowMs()
    const plan: ReadonlyArray<readonly [Scenario.Scenario<unknown, unknown>, number, Strategy.Strategy]> = [
      [Scenarios.control as Scenario.Scenario<unknown, unknown>, 30_000, Strategy.pct()],
      [Scenarios.control as Scenario.Scenario<unknown, unknown>, 20_000, Strategy.random],
      [Scenarios.make({ id: "control-real", time: "real" }) as Scenario.Scenario<unknown, unknown>, 20_000, Strategy.pct()],
      [Scenarios.watermarks as Scenario.Scenario<unknown, unknown>, 20_000, Strategy.pct()],
      [SysfsScenario.make("sysfs") as unknown as Scenario.Scenario<unknown, unknown>, 10_000, Strategy.pct()]
    ]
    let passed = 0
    for (const [scenario, schedules, strategy] of plan) {
      const report = await Effect.runPromise(Explorer.explore(scenario, { schedules, seed: 2026, strategy }))
      if (report._tag === "Failed") throw new Error(Explorer.formatReport(scenario, report))
      passed += schedules
    }
    return {
      "testing.shippedSchedulesPassed": {
        value: passed,
        unit: "schedules",
        goal: ">= 100000",
        note: `shipped engine and admin tree: control (PCT, random, real time), watermarks, sysfs; ${((nowMs() - t0) / 1000).toFixed(0)} s; ${load()}`
      }
    }
  }
}
