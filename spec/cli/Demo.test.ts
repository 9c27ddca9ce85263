import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import { Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { cli } from "../../src/cli/Cli.ts"
import { defaultOptions, runDemo } from "../../src/cli/Demo.ts"
import { testTempDir } from "../support/tempDir.ts"

const run = Command.runWith(cli, { version: "0.1.0" })
const output = Effect.map(TestConsole.logLines, (ls) => ls.map(String).join("\n"))

describe("demo", () => {
  it.effect("demo - monitors stairs in virtual time: header, snapshots, heatmap, stop reason", () =>
    Effect.gen(function*() {
      yield* run(["demo", "--duration-ms", "20000", "--report-every", "100", "--height", "10"])
      const out = yield* output
      assert.include(out, "effect-damon demo: masim 'stairs' (10 regions, 95.367 MiB), ops vaddr, 20 s of virtual time, seed 1")
      assert.include(out, "# kdamond.0 aggregation 100  time 10.000 s")
      assert.include(out, "# kdamond.0 aggregation 200  time 20.000 s")
      assert.include(out, "# heatmap: 200 aggregations")
      assert.include(out, "kdamond stopped (TimeLimit) after 200 aggregations")
      // the pageout scheme acts on the idle stairs, and its stats are shown
      assert.include(out, "; scheme: pageout regions idle for 5 s")
      const stats = /\npageout: tried (\d+) regions \([^)]*\), applied to (\d+) \(sz_applied [^)]*\); resident at the end/.exec(out)
      assert.isNotNull(stats, out)
      assert.isAbove(Number(stats![1]), 0)
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("demo - without the scheme, no stats; impossible values are refused before anything runs", () =>
    Effect.gen(function*() {
      yield* runDemo({ ...defaultOptions, durationMs: 2000, pageout: false })
      assert.notInclude(yield* output, "pageout")
      for (const [options, message] of [
        [{ sampleUs: 0 }, "--sample-us: 0 is invalid: must be an integer >= 1"],
        [{ width: 0 }, "--width: 0 is invalid"],
        [{ durationMs: -5 }, "--duration-ms: -5 is invalid"],
        [{ workload: "nonexistent" }, "--workload: \"nonexistent\" is invalid: is neither a shipped workload"]
      ] as const) {
        const exit = yield* Effect.exit(runDemo({ ...defaultOptions, ...options }))
        assert.include(Option.getOrThrow(Exit.findErrorOption(exit)).message, message)
      }
    }))

  it.effect("demo - the same seed prints the same output", () =>
    Effect.gen(function*() {
      yield* runDemo({ ...defaultOptions, workload: "zigzag", durationMs: 5000, seed: 7 })
      const first = yield* output
      yield* TestConsole.logLines.pipe(Effect.andThen(runDemo({ ...defaultOptions, workload: "zigzag", durationMs: 5000, seed: 7 })))
      const both = yield* output
      assert.strictEqual(both, `${first}\n${first}`)
    }))

  it.effect("demo - paddr and fvaddr monitor too", () =>
    Effect.gen(function*() {
      yield* runDemo({ ...defaultOptions, ops: "paddr", durationMs: 3000 })
      yield* runDemo({ ...defaultOptions, ops: "fvaddr", durationMs: 3000 })
      const out = yield* output
      assert.include(out, "ops paddr")
      assert.include(out, "ops fvaddr")
      assert.strictEqual(out.match(/kdamond stopped \(TimeLimit\) after 30 aggregations/g)?.length, 2)
    }))

  it.effect("demo - a malformed masim file is an error naming file, line and reason; nothing runs", () =>
    Effect.gen(function*() {
      const dir = testTempDir("effect-damon-")
      const file = join(dir, "bad.cfg")
      writeFileSync(file, "a, 4096\n\nphase\n1000\nb, 1, 64, 1\n")
      const exit = yield* Effect.exit(runDemo({ ...defaultOptions, workload: file }))
      assert.isTrue(Exit.isFailure(exit))
      const error = Option.getOrThrow(Exit.findErrorOption(exit))
      assert.strictEqual(error.errno, "EINVAL")
      assert.include(error.message, `${file.replace(/\.cfg$/, "")}`)
      assert.match(error.message, /:5/)
      assert.strictEqual(yield* output, "")
    }))

  it.effect("demo - bad attrs are refused before anything runs", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(runDemo({ ...defaultOptions, minNrRegions: 2 }))
      assert.include(Option.getOrThrow(Exit.findErrorOption(exit)).message, "--min-regions: 2 is invalid: must be >= 3")
      assert.strictEqual(yield* output, "")
    }))
})
