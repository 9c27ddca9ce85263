/**
 * `effect-damon report sweep`: the flags' lists reach `Sweep.run` (the printed table is the
 * library's own for the same sweep), the picture is written on request, bad lists and outputs
 * fail naming the flag before anything runs, bad options before stdin is read, and a trace piped
 * into the real executable is swept on a worker thread.
 */
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Readable } from "node:stream"
import { gunzipSync } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { TestConsole } from "effect/testing"
import * as Sweep from "../../src/accuracy/Sweep.ts"
import type { SweepResult } from "../../src/accuracy/Sweep.ts"
import { formatTable } from "../../src/accuracy/SweepReport.ts"
import { distinctGoals, parseIntervalsGoal, parseIntList, type ReportSweepOptions } from "../../src/cli/CliReportSweep.ts"
import { defaultEvaluationFlags, defaultWorkloadFlags } from "../../src/cli/AccuracyFlags.ts"
import type { Progress } from "../../src/cli/Progress.ts"
import { asShown, runReportSweepWith, sweepOptionsOf } from "../../src/cli/ReportSweep.ts"
import { runCliInProcess } from "../support/cliInProcess.ts"
import { testTempDir } from "../support/tempDir.ts"

const sweep = ["report", "sweep", "--workers", "0"]

/** The flags' defaults, in this thread. */
const defaults: ReportSweepOptions = {
  ...defaultWorkloadFlags,
  ...defaultEvaluationFlags,
  sampleUs: [],
  aggrUs: [],
  minNrRegions: [],
  maxNrRegions: [],
  intervalsGoal: [],
  truthTickUs: 0,
  workers: Option.some(0),
  metric: "wssErrorPct",
  output: Option.none(),
  json: false
}

describe("report sweep", () => {
  it.effect("prints the library's table for the flags' grid, settings in grid order, the front marked", () =>
    Effect.gen(function*() {
      const ran = yield* runCliInProcess([...sweep, "--workload", "stairs", "--sample-us", "5000,20000", "--max-regions", "20,1000", "--duration-ms", "3000", "--seed", "7", "--update-us", "500000", "--warmup-ms", "1000"])
      assert.strictEqual(ran.code, 0, ran.stderr)
      const expected = yield* Sweep.run({
        workload: { kind: "masim", name: "stairs" },
        grid: { sampleIntervalUs: [5000, 20_000], maxNrRegions: [20, 1000] },
        base: { opsUpdateIntervalUs: 500_000 },
        durationUs: 3_000_000,
        seed: 7,
        hotThreshold: 0.5,
        warmupUs: 1_000_000,
        metric: "wssErrorPct",
        workers: 0
      })
      assert.strictEqual(ran.stdout, `${formatTable(expected)}\n`)
      const rows = ran.stdout.split("\n").filter((l) => /^\*? +\d+ /.test(l)).map((l) => l.trim().replace(/^\* +/, "").split(/ +/))
      assert.deepStrictEqual(rows.map((r) => [r[1], r[4]]), [["5000", "20"], ["5000", "1000"], ["20000", "20"], ["20000", "1000"]])
      assert.isTrue(ran.stdout.split("\n").some((l) => l.startsWith("*")), "some setting is on the front")
    }))

  it.effect("intervals goals are an axis: off and a goal give two settings", () =>
    Effect.gen(function*() {
      const ran = yield* runCliInProcess([...sweep, "--intervals-goal", "off", "--intervals-goal", "400,3,1000,20000", "--duration-ms", "2000", "--metric", "hotF1"])
      assert.strictEqual(ran.code, 0, ran.stderr)
      assert.match(ran.stdout, /^# sweep of stairs: 2 settings, 2 s each, .* \* = Pareto front \(checks\/s vs hot F1 \(pooled\)\)/)
      assert.match(ran.stdout, / 0 +5000 +100000 +10 +1000 +off /)
      assert.match(ran.stdout, / 1 +\d+ +\d+ +10 +1000 +400bp\/3 \[1000,20000\] /)
    }))

  it.effect("--output draws the picture too", () =>
    Effect.gen(function*() {
      const dir = testTempDir("effect-damon-sweep-")
      const ran = yield* runCliInProcess([...sweep, "--max-regions", "20,100", "--duration-ms", "2000", "--output", join(dir, "sweep.svg")])
      assert.strictEqual(ran.code, 0, ran.stderr)
      assert.match(ran.stdout, /\nwrote .*sweep\.svg \(SVG, \d+ x \d+ px\)\n$/)
      assert.match(readFileSync(join(dir, "sweep.svg"), "utf8"), /^<svg[\s\S]*DAMON accuracy against cost: stairs/)
    }))

  it.effect("progress after each setting, erased before the table is printed", () =>
    Effect.gen(function*() {
      const updates: Array<string> = []
      const linesAtDone: Array<number> = []
      const progress: Progress = {
        update: (fraction, what) => Effect.sync(() => void updates.push(`${fraction.toFixed(2)} ${what}`)),
        done: Effect.map(TestConsole.logLines, (lines) => void linesAtDone.push(lines.length))
      }
      yield* runReportSweepWith({ ...defaults, maxNrRegions: [20, 100], sampleUs: [5000, 10_000], durationMs: 1000 }, progress)
      assert.deepStrictEqual(updates, ["0.33 1 of 4 settings", "0.67 2 of 4 settings", "0.83 3 of 4 settings", "1.00 4 of 4 settings"])
      assert.deepStrictEqual(linesAtDone, [0])
      assert.match(String((yield* TestConsole.logLines)[0]), /^# sweep of stairs: 4 settings/)
    }))

  it.effect("--json prints the library's result as one JSON document; the picture's line goes to stderr", () =>
    Effect.gen(function*() {
      const dir = testTempDir("effect-damon-sweep-")
      const ran = yield* runCliInProcess([...sweep, "--max-regions", "20,100", "--duration-ms", "2000", "--json", "--output", join(dir, "sweep.png")])
      assert.strictEqual(ran.code, 0, ran.stderr)
      const expected = yield* Sweep.run({ workload: { kind: "masim", name: "stairs" }, grid: { maxNrRegions: [20, 100] }, durationUs: 2_000_000, workers: 0 })
      assert.deepStrictEqual(JSON.parse(ran.stdout), JSON.parse(JSON.stringify(expected)))
      assert.match(ran.stderr, /^wrote .*sweep\.png \(PNG, \d+ x \d+ px\)\n$/)
      assert.isTrue(existsSync(join(dir, "sweep.png")))
    }))

  it.effect("bad lists, goals and outputs fail naming the flag, before anything runs or is written", () =>
    Effect.gen(function*() {
      const dir = testTempDir("effect-damon-sweep-")
      const many = (from: number) => Array.from({ length: 101 }, (_, i) => from + i).join(",")
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        [["--sample-us", "5000,abc"], `--sample-us: "5000,abc" is invalid: must be positive integers separated by commas, each once`],
        [["--aggr-us", "0"], `--aggr-us: "0" is invalid: must be positive integers`],
        [["--max-regions", "100,100"], `--max-regions: "100,100" is invalid`],
        [["--min-regions", ""], `--min-regions: a value is missing`],
        [["--intervals-goal", "400,3,1000"], `--intervals-goal: "400,3,1000" is invalid: must be off or access_bp,aggrs,min_sample_us,max_sample_us`],
        [["--workers", "-1"], `--workers: "-1" is invalid: must be an integer in [0, 256]`],
        [["--workers", "257"], `--workers: "257" is invalid: must be an integer in [0, 256]`],
        [["--intervals-goal", "off", "--intervals-goal", " 0,0,0,0"], `--intervals-goal: "off 0,0,0,0" is invalid: must each be given once (off is 0,0,0,0)`],
        [["--truth-tick-us", "-5"], `--truth-tick-us: "-5" is invalid: must be an integer >= 0`],
        [["--sample-us", many(1000), "--max-regions", many(3)], `grid: "10201 combinations" is invalid: must make at most 10000`],
        [["--output", join(dir, "missing", "sweep.svg")], `--output: "${join(dir, "missing", "sweep.svg")}" is invalid: cannot be written: ENOENT`],
        [["--metric", "speed"], `--metric: "speed" is invalid`],
        [["--output", join(dir, "sweep.gif")], `--output: "${join(dir, "sweep.gif")}" is invalid: must end with .svg or .png`],
        [["--min-regions", "1,2"], `grid: "{\\"minNrRegions\\":[1,2]}" is invalid: has no valid setting (all 2 refused; the first: attrs.minNrRegions: 1 is invalid: must be >= 3)`],
        [["--trace", join(dir, "missing.lackey")], `is invalid: cannot be read`]
      ]
      for (const [flags, message] of cases) {
        const workers = flags.includes("--workers") ? [] : ["--workers", "0"]
        const ran = yield* runCliInProcess(["report", "sweep", "--duration-ms", "1000", ...workers, ...flags])
        assert.strictEqual(ran.code, 1, flags.join(" "))
        assert.include(ran.stderr, message, flags.join(" "))
        assert.strictEqual(ran.stdout, "", flags.join(" "))
      }
      assert.isFalse(existsSync(join(dir, "sweep.gif")))
    }))

  it.live("bad options are refused before stdin is read (the pipe stays open); a bad trace on stdin is named stdin", () =>
    Effect.gen(function*() {
      // `process.stdin` for the run: a pipe never closed, which must not be read (a run reading it
      // would wait for ever; the timeout fails it), or a trace with a junk line. A real pipe is
      // the executable's test below.
      const openPipe = () => {
        let read = false
        const stream = new Readable({
          read() {
            read = true
          }
        })
        return { stream, read: () => read || stream.readableFlowing !== null }
      }
      // the temporary copy of a piped trace goes to TMPDIR: here a directory of the test's own
      const tmp = testTempDir("effect-damon-stdin-")
      const cli = (args: ReadonlyArray<string>, stdin: Readable) =>
        runCliInProcess(args, { stdin, env: { TMPDIR: tmp } }).pipe(Effect.timeout("20 seconds"))
      const junk = "I  04000000,3\n L 0400abcd,8\nthis is junk\n"
      for (const args of [["report", "sweep", "--trace", "-", "--duration-ms", "0"], ["report", "accuracy", "--trace", "-", "--duration-ms", "0"]]) {
        const pipe = openPipe()
        const ran = yield* cli(args, pipe.stream)
        assert.strictEqual(ran.code, 1, ran.stderr)
        assert.include(ran.stderr, "durationUs: 0 is invalid: must be a positive finite number of microseconds")
        assert.isFalse(pipe.read(), `${args.join(" ")}: stdin was read`)
      }
      for (const args of [["report", "sweep", "--trace", "-", "--duration-ms", "500", "--workers", "0"], ["report", "accuracy", "--trace", "-", "--duration-ms", "500"]]) {
        const ran = yield* cli(args, Readable.from([Buffer.from(junk)]))
        assert.strictEqual(ran.code, 1, ran.stderr)
        assert.include(ran.stderr, `stdin:3: "this is junk" is invalid: not a lackey line`)
        assert.notInclude(ran.stderr, "effect-damon-trace-")
        assert.deepStrictEqual(readdirSync(tmp), [], `${args.join(" ")}: the trace's temporary copy is removed`)
      }
    }), 60_000)

  it("every flag reaches the sweep; a list not given is no axis", () => {
    const goal = { accessBp: 400, aggrs: 3, minSampleUs: 1000, maxSampleUs: 20_000 }
    const all: ReportSweepOptions = {
      workload: "zigzag",
      trace: "t.lackey",
      rate: 0.5,
      dataOnly: true,
      skipBadLines: true,
      durationMs: 1500,
      seed: 9,
      updateUs: 250_000,
      hotThreshold: 0.25,
      warmupMs: 300,
      sampleUs: [1000, 2000],
      aggrUs: [20_000],
      minNrRegions: [5],
      maxNrRegions: [50, 500],
      intervalsGoal: [null, goal],
      truthTickUs: 2500,
      workers: Option.some(3),
      metric: "hotRecall",
      output: Option.some("x.svg"),
      json: false
    }
    assert.deepStrictEqual(sweepOptionsOf(all), {
      grid: { sampleIntervalUs: [1000, 2000], aggrIntervalUs: [20_000], minNrRegions: [5], maxNrRegions: [50, 500], intervalsGoal: [null, goal] },
      base: { opsUpdateIntervalUs: 250_000 },
      durationUs: 1_500_000,
      seed: 9,
      hotThreshold: 0.25,
      warmupUs: 300_000,
      metric: "hotRecall",
      truthTickUs: 2500,
      workers: 3
    })
    const none = { ...all, sampleUs: [], aggrUs: [], minNrRegions: [], maxNrRegions: [], intervalsGoal: [], truthTickUs: 0, workers: Option.none() }
    assert.deepStrictEqual(sweepOptionsOf(none), {
      grid: {},
      base: { opsUpdateIntervalUs: 250_000 },
      durationUs: 1_500_000,
      seed: 9,
      hotThreshold: 0.25,
      warmupUs: 300_000,
      metric: "hotRecall"
    })
  })

  it("stdin is shown as stdin, not as the temporary copy; a file keeps its name", () => {
    const result = { workload: { kind: "trace", path: "/tmp/effect-damon-trace-x/stdin.lackey", accessesPerUs: 1, instructions: true, skipBadLines: false } } as unknown as SweepResult
    assert.deepStrictEqual(asShown(result, { trace: "-" }).workload, { kind: "trace", path: "stdin", accessesPerUs: 1, instructions: true, skipBadLines: false })
    assert.strictEqual(asShown(result, { trace: "/tmp/effect-damon-trace-x/stdin.lackey" }), result)
    assert.isTrue(distinctGoals([null, { accessBp: 400, aggrs: 3, minSampleUs: 1000, maxSampleUs: 20_000 }]))
    assert.isFalse(distinctGoals([null, { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 }]))
    assert.isFalse(distinctGoals([{ accessBp: 4, aggrs: 3, minSampleUs: 1, maxSampleUs: 2 }, { accessBp: 4, aggrs: 3, minSampleUs: 1, maxSampleUs: 2 }]))
  })

  it("the lists' and goals' parsers", () => {
    assert.deepStrictEqual(parseIntList("2500,5000"), [2500, 5000])
    assert.deepStrictEqual(parseIntList(" 7 , 9 "), [7, 9])
    for (const bad of ["", ",", "1,", "1.5", "-1", "0", "1e3", "0x10", "3,3", "1000000000000000"]) assert.isUndefined(parseIntList(bad), bad)
    assert.isNull(parseIntervalsGoal("off"))
    assert.isNull(parseIntervalsGoal(" off "))
    assert.deepStrictEqual(parseIntervalsGoal("400,3,1000,20000"), { accessBp: 400, aggrs: 3, minSampleUs: 1000, maxSampleUs: 20_000 })
    assert.deepStrictEqual(parseIntervalsGoal("0,0,0,0"), { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 })
    for (const bad of ["", "on", "1,2,3", "1,2,3,4,5", "1,2,3,-4", "a,b,c,d"]) assert.isUndefined(parseIntervalsGoal(bad), bad)
  })
})

describe("report sweep from the executable", () => {
  it("a trace piped into `--trace -` is swept on a worker thread; its temporary copy is removed", () => {
    const root = new URL("../../", import.meta.url).pathname
    const all = gunzipSync(readFileSync(new URL("../../data/traces/phases.lackey.gz", import.meta.url)))
    const text = all.subarray(0, all.lastIndexOf(10, 1_000_000) + 1)
    const tmp = testTempDir("effect-damon-sweep-tmp-")
    const out = execFileSync(process.execPath, ["bin/effect-damon.js", "report", "sweep", "--trace", "-", "--rate", "0.5", "--duration-ms", "400", "--max-regions", "20,100", "--workers", "1"], {
      cwd: root,
      input: text,
      encoding: "utf8",
      env: { ...process.env, TMPDIR: tmp }
    })
    assert.match(out, /^# sweep of stdin: 2 settings, 0\.4 s each/)
    assert.strictEqual(out.split("\n").filter((l) => /^\*? +\d+ +5000 /.test(l)).length, 2, out)
    assert.deepStrictEqual(readdirSync(tmp).filter((f) => f.startsWith("effect-damon-trace-")), [])
  }, 60_000)

})
