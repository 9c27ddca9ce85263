/**
 * A CLI that behaves, in-process (the same `runCli` the executable runs): every user error is
 * one line on stderr naming the flag or file and the value, with exit status 1 and nothing on
 * stdout; `--help` and `--version` exit 0. The spawned executable is checked in `Binary.test.ts`.
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestConsole } from "effect/testing"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { runCli, version } from "../../src/cli/CliRun.ts"
import { fileTempDir } from "../support/tempDir.ts"

const dir = fileTempDir("effect-damon-cli-")
const badJson = join(dir, "bad.json")
writeFileSync(badJson, JSON.stringify({ kdamonds: [{ contexts: [{ ops: "vaddr", targets: [{ pid: 42 }], intervals: { sample_us: "5 parsecs" } }] }] }))
const notJson = join(dir, "not.json")
writeFileSync(notJson, "kdamonds: yes")
const badRecord = join(dir, "bad.data")
writeFileSync(badRecord, "this is not a record")

const run = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const code = yield* runCli(argv)
    const err = (yield* TestConsole.errorLines).map(String)
    const out = (yield* TestConsole.logLines).map(String)
    return { code, err, out }
  }).pipe(Effect.provide(NodeServices.layer))

const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
  [["demo", "--sample-us", "0"], "--sample-us: \"0\" is invalid: must be an integer >= 1"],
  [["demo", "--duration-ms", "-5"], "--duration-ms: \"-5\" is invalid: must be an integer >= 0"],
  [["demo", "--report-every", "-1"], "--report-every: \"-1\" is invalid"],
  [["demo", "--width", "0"], "--width: \"0\" is invalid: must be an integer >= 1"],
  [["demo", "--height", "-3"], "--height: \"-3\" is invalid"],
  [["demo", "--width", "abc"], "--width: \"abc\" is invalid: must be a number"],
  [["demo", "--workload", "nonexistent"], "--workload: \"nonexistent\" is invalid: is neither a shipped workload (100mb, 2mb, default, demo, stairs"],
  [["demo", "--min-regions", "2"], "--min-regions: 2 is invalid: must be >= 3"],
  [["demo", "--bogus"], "--bogus: unknown flag for 'effect-damon demo'"],
  [["bogus"], "\"bogus\": unknown command for 'effect-damon'"],
  [["serve"], "--port: is required"],
  [["serve", "--port", "70000"], "--port: \"70000\" is invalid: must be a TCP port in [0, 65535]"],
  [["serve", "--port", "0", "--workload", "nope"], "--workload: \"nope\" is invalid"],
  [["record", "--duration", "0"], "--duration: \"0\" is invalid: must be a duration > 0"],
  [["record", "--duration", "soon"], "--duration: \"soon\" is invalid"],
  [["record", "--server", "localhost:8080"], "--server: \"localhost:8080\" is invalid: must be an http:// URL"],
  [["record", "--otlp", "collector"], "--otlp: \"collector\" is invalid"],
  [["record", "--damos_age", "1s", "max"], "--damos_age: \"1s max\" is invalid: one more than the 0 --damos_action given"],
  [["record", "--kdamond", "-1"], "--kdamond: \"-1\" is invalid"],
  [["args", "damon", "--kdamonds", join(dir, "missing.json")], `--kdamonds: "${join(dir, "missing.json")}" is invalid: cannot be read`],
  [["args", "damon", "--kdamonds", badJson], `${badJson}: kdamonds[0].contexts[0].intervals.sample_us: "5 parsecs" is invalid: must be a time`],
  [["args", "damon", "--kdamonds", notJson], `${notJson}: (document): "kdamonds: yes" is invalid: is not JSON`],
  [["args", "damon", "--kdamonds", badJson, "--damos_action", "stat"], "--damos_action: \"(given)\" is invalid: cannot be combined with --kdamonds"],
  [["report", "heatmap", "-i", join(dir, "none.data")], `--input_file: "${join(dir, "none.data")}" is invalid: no such file`],
  [["report", "wss", "-i", badRecord], `${badRecord}: "20 bytes" is invalid: is neither a json_compressed record file (zlib) nor a json record file`],
  [["report", "heatmap", "-i", badRecord, "--output", "x.jpg"], "--output: \"x.jpg\" is invalid: must end with .svg or .png"],
  [["report", "wss", "--range", "0", "101"], "--range: \"0 101\" is invalid"],
  [["report", "access", "--snapshot", "first"], "--snapshot: \"first\" is invalid: must be all, last, or a snapshot index"],
  [["status"], "--server: \"(none)\" is invalid: no server"],
  [["status", "--server", "http://127.0.0.1:9"], "http://127.0.0.1:9: unreachable: no answer"],
  [["workload", "show", "nope"], "<workload>: \"nope\" is invalid: is neither a shipped workload"]
]

describe("user errors", () => {
  it.effect.each(cases)("%j: one line naming the flag or file, exit 1", ([argv, message]) =>
    Effect.gen(function*() {
      const { code, err, out } = yield* run(argv)
      assert.strictEqual(code, 1)
      assert.strictEqual(err.length, 1, err.join("\n"))
      assert.notInclude(err[0]!, "\n")
      assert.notMatch(err[0]!, /\bat .*:\d+:\d+/)
      assert.include(err[0]!, message)
      assert.deepStrictEqual(out, [])
    }).pipe(Effect.provide(TestConsole.layer)))

  it.effect("--help of every command and --version exit 0", () =>
    Effect.gen(function*() {
      for (const argv of [["--help"], ["--version"], ["start", "--help"], ["report", "access", "--help"], ["sysfs", "write", "--help"]]) {
        const { code, err } = yield* run(argv)
        assert.strictEqual(code, 0, argv.join(" "))
        assert.deepStrictEqual(err, [])
      }
      // the line the executable's fast path prints without loading the CLI (Binary.test.ts)
      assert.strictEqual((yield* run(["--version"])).out.at(-1), `effect-damon v${version}`)
    }).pipe(Effect.provide(TestConsole.layer)))
})
