/**
 * Keeps the examples working: each example's `main` runs here (virtual time, or TestClock for
 * the real-time one) and its output is checked.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { readdirSync } from "node:fs"
import { TestClock, TestConsole } from "effect/testing"
import { main as tour } from "../examples/00-tour.ts"
import { main as monitor } from "../examples/01-monitor.ts"
import { main as pageout } from "../examples/02-pageout-scheme.ts"
import { main as control } from "../examples/03-call-walk-commit.ts"
import { main as pageTable } from "../examples/05-page-table.ts"
import { writePictures } from "../examples/04-pictures.ts"
import { main as cache } from "../examples/06-instrumented-cache.ts"
import { runSweep } from "../examples/07-sweep.ts"
import { main as propertyTest } from "../examples/08-property-test.ts"
import { testTempDir } from "./support/tempDir.ts"

const lines = Effect.map(TestConsole.logLines, (ls) => ls.map(String))

describe("examples", () => {
  it.effect("00-tour - the README's tour runs", () =>
    Effect.gen(function*() {
      yield* tour
      const out = yield* lines
      assert.match(out[0]!, /^\d+ regions; pageout tried on [1-9]\d* regions$/)
      assert.match(out[1]!, /^a second kdamond joined at world time 10\.\d+ s$/)
    }))

  it.effect("01-monitor - prints the hottest region each second and the stop reason", () =>
    Effect.gen(function*() {
      yield* monitor
      const out = yield* lines
      assert.strictEqual(out.filter((l) => l.includes("hottest")).length, 30)
      assert.strictEqual(out.at(-1), "stopped: TimeLimit")
    }))

  it.effect("02-pageout-scheme - the resident set shrinks under the pageout scheme", () =>
    Effect.gen(function*() {
      yield* pageout
      const out = yield* lines
      const resident = out.filter((l) => l.includes("resident")).map((l) => Number(/resident ([\d.]+) MiB/.exec(l)![1]))
      assert.strictEqual(resident.length, 6)
      assert.isTrue(resident[0]! > 90 && resident.at(-1)! < 40)
      assert.match(out.at(-1)!, /^refaulted [\d.]+ MiB in total$/)
    }))

  it.effect("03-call-walk-commit - damonCall, damosWalk, commit and a refused commit", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(control)
      for (let i = 0; i < 10 && fiber.pollUnsafe() === undefined; i++) yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      const out = yield* lines
      assert.match(out[0]!, /^regions after 1 s: \d+$/)
      assert.match(out[1]!, /^hot regions tried by the stat scheme: \d+, \d+ bytes$/)
      assert.strictEqual(out[2], "after commit: sample 10000 us, schemes stat, cold")
      assert.strictEqual(out[3], "refused: EINVAL attrs.minNrRegions: 1 is invalid: must be >= 3")
    }))

  it.effect("05-page-table - the hot part of memory a program marks itself is found", () =>
    Effect.gen(function*() {
      yield* pageTable
      const out = yield* lines
      const m = /^(\d+) regions; accessed: \+([\d.]+) \.\. \+([\d.]+) MiB$/.exec(out[0]!)
      assert.isNotNull(m, out[0])
      // the program touches [16, 24) MiB: found within a region's width of it
      assert.isTrue(Number(m![2]) >= 15 && Number(m![2]) <= 16.5 && Number(m![3]) >= 23.5 && Number(m![3]) <= 25, out[0])
      assert.strictEqual(out.at(-1), "stopped: TimeLimit")
    }))

  it.effect("04-pictures - text heatmap and WSS, then SVG and PNG pictures of stairs", () =>
    Effect.gen(function*() {
      const dir = testTempDir("effect-damon-pictures-")
      yield* writePictures(dir)
      const out = (yield* lines).join("\n").split("\n")
      assert.match(out[0]!, /^# heatmap: 600 aggregations x [\d.]+ MiB monitored/)
      assert.isTrue(out.some((l) => l.startsWith("# avr:\t")))
      assert.deepStrictEqual(readdirSync(dir).sort(), [
        "stairs-heatmap.png",
        "stairs-heatmap.svg",
        "stairs-regions.png",
        "stairs-regions.svg",
        "stairs-wss.png",
        "stairs-wss.svg"
      ])
      assert.match(out.at(-1)!, /^wrote stairs-regions\.svg \(\d+ x \d+\) and stairs-regions\.png \(\d+ x \d+\)$/)
    }))

  it.effect("06-instrumented-cache - a pageout scheme moves cold entries to disk; hot ones stay and hit", () =>
    Effect.gen(function*() {
      yield* cache
      const out = yield* lines
      assert.strictEqual(out[0], " 0 s  4096 entries, all in memory: 16.0 MiB")
      const rows = out.slice(1, -1).map((l) => /^ *(\d+) s  hit rate +([\d.]+) %  in memory +([\d.]+) MiB  on disk +([\d.]+) MiB$/.exec(l))
      assert.strictEqual(rows.length, 8)
      rows.forEach((m, i) => {
        assert.isNotNull(m)
        // the hot keys keep hitting; from 3 s on, the hot 1 MiB and a little more stay in memory
        assert.isTrue(Number(m![2]) > 90, m![0])
        if (i >= 2) assert.isTrue(Number(m![3]) < 5, m![0])
        assert.closeTo(Number(m![3]) + Number(m![4]), 16, 0.11)
      })
      assert.strictEqual(out.at(-1), "wrote 4096 of 4096 entries to disk")
    }))

  it.effect("07-sweep - a sweep's table with the Pareto front marked, and its picture", () =>
    Effect.gen(function*() {
      const dir = testTempDir("effect-damon-sweep-")
      yield* runSweep(dir)
      const out = (yield* lines).join("\n").split("\n")
      assert.match(out[0]!, /^# sweep of stairs: 4 settings, 3 s each/)
      assert.isAbove(out.filter((l) => l.startsWith("*")).length, 0)
      assert.deepStrictEqual(readdirSync(dir), ["stairs-sweep.svg"])
      assert.match(out.at(-1)!, /^wrote stairs-sweep\.svg \(\d+ x \d+\)$/)
    }), 120_000)

  it.effect("08-property-test - the counter passes its schedules; the racy one is caught, shrunk to two bumps, with a token", () =>
    Effect.gen(function*() {
      yield* propertyTest
      const out = (yield* lines).join("\n").split("\n")
      assert.strictEqual(out[0], "counter: 200 schedules passed")
      assert.match(out[1]!, /^racy-counter: invariant violated after \d+ schedule\(s\); shrunk in \d+ run\(s\) to \d+ operation\(s\)/)
      assert.include(out, "  noLostBump: a bump was lost: bumped 0, bumped 0")
      assert.match(out.at(-2)!, /^replay: dt1:racy-counter:pct-3-\d+:1:\d+:10:/)
    }))
})
