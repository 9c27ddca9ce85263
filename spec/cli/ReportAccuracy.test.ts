/**
 * `effect-damon report accuracy`: flags reach the accuracy report (masim and a trace file), the
 * text is printed, bad input fails naming the field and prints nothing.
 */
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { gunzipSync } from "node:zlib"
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { cli } from "../../src/cli/Cli.ts"
import { defaultReportAccuracyOptions } from "../../src/cli/CliReportAccuracy.ts"
import { runReportAccuracy } from "../../src/cli/ReportAccuracy.ts"

const run = Command.runWith(cli, { version: "0.1.0" })
const output = Effect.map(TestConsole.logLines, (ls) => ls.map(String).join("\n"))
const trace = new URL("../../data/traces/phases.lackey.gz", import.meta.url).pathname

describe("report accuracy", () => {
  it.effect("on a masim workload: both monitors, with the flags' intervals", () =>
    Effect.gen(function*() {
      yield* run(["report", "accuracy", "--workload", "zigzag", "--duration-ms", "2000", "--sample-us", "10000", "--aggr-us", "200000"])
      const out = yield* output
      assert.match(out, /^# accuracy on zigzag: 10 windows over 2 s; sample 10000 us, aggr 200000 us, regions 10\.\.1000/)
      assert.include(out, "## DAMON (adaptive regions)")
      assert.include(out, "## baseline (fixed regions, no split/merge)")
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("on a recorded trace at a stated rate", () =>
    Effect.gen(function*() {
      yield* run(["report", "accuracy", "--trace", trace, "--rate", "0.5", "--duration-ms", "1000", "--hot-threshold", "0.25"])
      const out = yield* output
      assert.match(out, /^# accuracy on phases\.lackey\.gz: 10 windows over 1 s/)
      assert.include(out, "hot = accessed in >= 25% of ticks")
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("bad input fails naming the field, before printing anything", () =>
    Effect.gen(function*() {
      const cases = [
        [{ hotThreshold: 0 }, "hotThreshold: 0 is invalid: must be in (0, 1]"],
        [{ trace, rate: -1 }, "accessesPerUs: -1 is invalid: must be a positive finite number"],
        [{ trace: "/nonexistent.lackey" }, "trace.path: \"/nonexistent.lackey\" is invalid: cannot be read"],
        [{ minNrRegions: 1 }, "attrs.minNrRegions: 1 is invalid: must be >= 3"]
      ] as const
      for (const [flags, message] of cases) {
        const exit = yield* Effect.exit(runReportAccuracy({ ...defaultReportAccuracyOptions, durationMs: 1000, ...flags }))
        assert.isTrue(Exit.isFailure(exit))
        assert.include(Option.getOrThrow(Exit.findErrorOption(exit)).message, message)
      }
      assert.strictEqual(yield* output, "")
    }))
})

describe("report accuracy from stdin", () => {
  it("the trace piped into `--trace -` is read once and replayed by both monitors", () => {
    const root = new URL("../../", import.meta.url).pathname
    const all = gunzipSync(readFileSync(trace))
    const text = all.subarray(0, all.lastIndexOf(10, 2_000_000) + 1)
    const out = execFileSync(process.execPath, ["--conditions=development", "src/cli/main.ts", "report", "accuracy", "--trace", "-", "--rate", "0.5", "--duration-ms", "500"], {
      cwd: root,
      input: text,
      encoding: "utf8"
    })
    assert.match(out, /^# accuracy on stdin: 5 windows over 0\.5 s/)
    assert.include(out, "## baseline (fixed regions, no split/merge)")
  }, 60_000)
})
