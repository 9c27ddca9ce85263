/**
 * The `effect-damon` command on masim workloads, as a user runs it:
 * - offline: `record` of stairs, then `report access`, `report heatmap` (terminal: the staircase;
 *   SVG that parses; PNG that decodes to the size it states) and `report wss` on the file;
 * - against a running `serve`: `start --kdamonds` with a kdamonds JSON file, `report damon`
 *   shows the same parameters, `tune` changes the running setup, `report access` (damo's
 *   commit / tried-regions / commit-back sequence) leaves the schemes as they were, a live
 *   `record` from the events endpoint, `stop`;
 * - user errors: one line naming the flag or file, exit status 1, no stack trace.
 * The real executable (`bin/effect-damon.js`, spawned) where only a process shows it: the bin's
 * start and its child for long runs (`record`; `serve`'s in `spec/http/Serve.test.ts`),
 * `--version`'s fast path, Ctrl-C, the exit status and stderr of a user error. The other commands,
 * and the `serve` the client commands talk to, run in-process
 * (`spec/support/cliInProcess.ts`: the same `runCli`, the same stdout, stderr and exit status),
 * since each process pays Node's and Effect's start (docs/performance.md, "Test suite").
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Result } from "effect"
import { spawn, spawnSync } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { noOptions, optionsToKdamondsJson } from "../../src/cli/DamoOptions.ts"
import { parseKdamondsJson } from "../../src/damo/KdamondsJson.ts"
import { toKdamondsJson } from "../../src/damo/KdamondsJsonWrite.ts"
import { SEP } from "../../src/cli/DamoArgv.ts"
import { version } from "../../src/cli/CliRun.ts"
import { checkXml, readPng } from "../report/wellFormed.ts"
import { runCliInProcess } from "../support/cliInProcess.ts"
import { fileTempDir } from "../support/tempDir.ts"

/** The parts of damo's kdamonds JSON (as `report damon --json` prints it) these tests read. */
interface JsonContext {
  readonly intervals: { readonly sample_us: string; readonly aggr_us: string }
  readonly schemes: ReadonlyArray<Readonly<Record<string, unknown>>>
}
interface JsonKdamond {
  readonly state?: string
  readonly contexts: ReadonlyArray<JsonContext>
}
interface KdamondsDoc {
  readonly kdamonds: ReadonlyArray<JsonKdamond>
}

const bin = fileURLToPath(new URL("../../bin/effect-damon.js", import.meta.url))
const dir = fileTempDir("effect-damon-bin-")

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the executable, a process, to completion. */
const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, EFFECT_DAMON_SERVER: "", ...env } })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (c: string) => void (stdout += c))
    child.stderr.setEncoding("utf8").on("data", (c: string) => void (stderr += c))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

const ok = (r: Ran, what: string): string => {
  assert.strictEqual(r.code, 0, `${what}: ${r.stderr}`)
  return r.stdout
}

/**
 * Runs `serve` in-process (`serve --port 0 <args>`) for the rest of the scope and returns its
 * URL once the banner is printed, with the run's fiber. (The bin starting `serve` in its child,
 * passing signals on and its exit status: `spec/http/Serve.test.ts`'s processes.)
 */
const serve = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const listening = yield* Deferred.make<string, Error>()
    const run = yield* Effect.forkScoped(
      runCliInProcess(["serve", "--port", "0", ...args], {
        onStdout: (out) => {
          const m = /listening on (http:\/\/\S+)/.exec(out)
          if (m !== null) Deferred.doneUnsafe(listening, Effect.succeed(m[1]!))
        }
      }).pipe(Effect.tap((ran) => Deferred.fail(listening, new Error(`serve exited (${ran.code}) before listening: ${ran.stdout}${ran.stderr}`)))),
      { startImmediately: true }
    )
    const url = yield* Deferred.await(listening).pipe(Effect.timeout("20 seconds"), Effect.orDie)
    return { url, run }
  })

describe("the effect-damon executable", () => {
  it.live("record stairs, then report access, heatmap (terminal, SVG, PNG) and wss on the file", () =>
    Effect.gen(function*() {
      const recorded = ok(yield* Effect.promise(() => cli(["record", "--workload", "stairs", "--duration", "60s", "-o", "stairs.data"])), "record")
      assert.include(recorded, "recorded 600 aggregations (stairs, 60.0 s of virtual time) to stairs.data")
      const data = join(dir, "stairs.data")

      const access = ok(yield* runCliInProcess(["report", "access", "-i", data, "--snapshot", "last", "--sort_regions_by", "access_rate", "--sort_regions_dsc"]), "access")
      const lines = access.split("\n")
      assert.match(lines[0]!, /^kdamond 0 \/ context 0 \/ scheme none \/ target id 0 \/ recorded for 1 m from 0 ns$/)
      assert.strictEqual(lines[1], "monitored time: [59.900 s, 1 m] (100 ms)")
      assert.match(lines[3]!, /^0 +addr \S+ \S+ +size \S+ \S+ +access (9\d|100) % +age /)
      assert.match(access, /\ntotal size: 124\.039 MiB\n/)

      const heatmap = ok(yield* runCliInProcess(["report", "heatmap", "-i", data, "--height", "12", "--width", "80"]), "heatmap")
      const rows = heatmap.split("\n").filter((l) => /^ +\d+\.\d+ s \|/.test(l)).map((l) => l.slice(l.indexOf("|") + 1, l.lastIndexOf("|")))
      assert.strictEqual(rows.length, 12)
      // after the 10 s all-hot phase, each 5 s row is hot over one stair, further right every row
      const hotCentre = (row: string) => {
        const hot = [...row].flatMap((c, i) => (c >= "8" ? [i] : []))
        return hot.length === 0 ? -1 : hot.reduce((a, b) => a + b, 0) / hot.length
      }
      const centres = rows.slice(2).map(hotCentre)
      for (let i = 1; i < centres.length; i++) assert.isAbove(centres[i]!, centres[i - 1]!, `staircase row ${i + 2}: ${rows.join("\n")}`)
      assert.isAbove(rows[0]!.replace(/[^89]/g, "").length, 50)

      const svgOut = ok(yield* runCliInProcess(["report", "heatmap", "-i", data, "--output", join(dir, "heatmap.svg")]), "svg")
      const svg = readFileSync(join(dir, "heatmap.svg"), "utf8")
      const xml = checkXml(svg)
      assert.deepStrictEqual(xml.problems, [])
      assert.strictEqual(xml.root, "svg")
      const [, w, h] = /SVG, (\d+) x (\d+) px/.exec(svgOut)!
      assert.match(svg, new RegExp(`<svg[^>]* width="${w}" height="${h}"`))

      const pngOut = ok(yield* runCliInProcess(["report", "heatmap", "-i", data, "--output", join(dir, "heatmap.png")]), "png")
      const png = readPng(readFileSync(join(dir, "heatmap.png")))
      assert.strictEqual(pngOut.trim(), `wrote ${join(dir, "heatmap.png")} (PNG, ${png.width} x ${png.height} px)`)

      const wss = ok(yield* runCliInProcess(["report", "wss", "-i", data]), "wss")
      assert.match(wss, /^# <percentile> <wss>\n# avr:\t\d+\.\d{3} MiB\n  0 +9\.\d{3} MiB /)
      assert.match(wss, /\n100 +1\d\d\.\d{3} MiB /)
    }), 180_000)

  it.live("against serve: start from a kdamonds JSON, report damon, tune, live report access leaves the schemes, live record, stop", () =>
    Effect.gen(function*() {
      const doc = Result.getOrThrow(optionsToKdamondsJson({
        ...noOptions,
        monitoringIntervals: ["5ms", "100ms", "1s"].join(SEP),
        damosAction: ["pageout", "stat"],
        damosAccessRate: [["0", "0"].join(SEP), ["10%", "max"].join(SEP)],
        damosAge: [["3s", "max"].join(SEP)],
        damosQuotas: [["100ms", "16M", "1s"].join(SEP)]
      }))
      writeFileSync(join(dir, "kdamonds.json"), JSON.stringify(doc))
      const server = yield* serve(["--workload", "zigzag"])
      const env = { EFFECT_DAMON_SERVER: server.url }
      const client = (args: ReadonlyArray<string>) => runCliInProcess(args, { env })
      const session = Effect.gen(function*() {
        assert.include(ok(yield* client(["start", "--kdamonds", join(dir, "kdamonds.json")]), "start"), "kdamond 0 on (vaddr on pid 42, schemes pageout, stat)")
        const reported = JSON.parse(ok(yield* client(["report", "damon", "--json"]), "report damon")) as KdamondsDoc
        // what `args damon --kdamonds kdamonds.json` prints: the file with every default spelled out
        const given = Result.getOrThrow(toKdamondsJson(Result.getOrThrow(parseKdamondsJson(JSON.stringify(doc))).configs)).json as unknown as KdamondsDoc
        const params = (kd: JsonKdamond) => {
          const ctx = kd.contexts[0]!
          return { ...ctx, schemes: ctx.schemes.map(({ stats: _s, effective_sz_bytes: _e, ...rest }) => rest) }
        }
        assert.strictEqual(reported.kdamonds[0]!.state, "on")
        assert.deepStrictEqual(params(reported.kdamonds[0]!), params(given.kdamonds[0]!))

        assert.include(ok(yield* client(["tune", "--monitoring_intervals", "10ms", "200ms", "2s", "--damos_action", "pageout", "--damos_access_rate", "0", "0"]), "tune"), "kdamond 0 tuned")
        const tuned = JSON.parse(ok(yield* client(["report", "damon", "--json", "--raw"]), "report damon")) as KdamondsDoc
        const ctx = tuned.kdamonds[0]!.contexts[0]!
        assert.deepStrictEqual([ctx.intervals.sample_us, ctx.intervals.aggr_us, ctx.schemes.length], ["10000", "200000", 1])

        const before = JSON.stringify(tuned)
        const access = ok(yield* client(["report", "access"]), "report access")
        assert.match(access, /^kdamond 0 \/ context 0 \/ scheme 1 \/ target id none/)
        assert.match(access, /\ntotal size: /)
        const after = ok(yield* client(["report", "damon", "--json", "--raw"]), "after")
        const schemesOf = (text: string) => params((JSON.parse(text) as KdamondsDoc).kdamonds[0]!).schemes
        assert.deepStrictEqual(schemesOf(after), schemesOf(before))

        const live = ok(yield* client(["record", "--duration", "1s", "-o", join(dir, "live.data")]), "live record")
        assert.match(live, /^recorded \d+ aggregations \(kdamond 0 of http:/)
        assert.include(ok(yield* runCliInProcess(["report", "access", "-i", join(dir, "live.data"), "--snapshot", "last"]), "live access"), "kdamond 0 / context 0")

        assert.include(ok(yield* client(["stop"]), "stop"), "kdamond 0 off")
        const stopped = yield* client(["stop"])
        assert.strictEqual(stopped.code, 1)
        assert.strictEqual(stopped.stderr, "effect-damon: not running: no kdamond is running\n")
      })
      const exit = yield* Effect.exit(session)
      // stopped as Ctrl-C stops it: interrupted, nothing else (the exit status 130 of a signal is
      // the process's, tested in Serve.test.ts through the bin)
      yield* Fiber.interrupt(server.run)
      const stopped = yield* Fiber.await(server.run)
      assert.isTrue(Exit.isFailure(stopped) && Cause.hasInterruptsOnly(stopped.cause), String(stopped))
      return yield* exit
    }).pipe(Effect.scoped), 240_000)

  it.live("a long record shows progress with an ETA on a terminal, and Ctrl-C leaves a valid record file", () =>
    Effect.gen(function*() {
      // a day of virtual time: minutes of wall time even on a fast machine (30 minutes took 1-4 s,
      // and a record that ends before its first progress line, after 2 s, is never interrupted)
      const child = spawn(process.execPath, [bin, "record", "--duration", "24h", "-o", "interrupted.data"], {
        cwd: dir,
        env: { ...process.env, EFFECT_DAMON_SERVER: "", EFFECT_DAMON_PROGRESS: "always" }
      })
      let stdout = ""
      let stderr = ""
      child.stdout.setEncoding("utf8").on("data", (c: string) => void (stdout += c))
      const code = yield* Effect.promise(() =>
        new Promise<number | null>((resolve) => {
          child.stderr.setEncoding("utf8").on("data", (c: string) => {
            stderr += c
            if (/ETA \d/.test(stderr) && child.exitCode === null) child.kill("SIGINT")
          })
          child.on("close", resolve)
        })
      )
      assert.strictEqual(code, 130, stderr)
      assert.match(stderr, /\[#*\.*\] +\d+%  [\d.]+ of 86400\.0 s virtual  elapsed [\d.]+ s, ETA [\d.]+ s/)
      const [, n] = /^interrupted: recorded (\d+) aggregations/.exec(stdout)!
      const access = ok(yield* runCliInProcess(["report", "access", "-i", join(dir, "interrupted.data"), "--snapshot", "last"]), "report of the interrupted record")
      assert.match(access, new RegExp(`^kdamond 0 / context 0 / scheme none / target id 0 / recorded for `))
      assert.isAbove(Number(n), 10)
    }), 120_000)

  it("--version answers from package.json, without loading the CLI, the line the command tree prints", async () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url)), "utf8")) as { version: string }
    assert.strictEqual(version, pkg.version, "CliRun's version is the package's")
    const fast = ok(await cli(["--version"]), "--version")
    assert.strictEqual(fast, `effect-damon v${pkg.version}\n`)
    // the command tree prints the same line (UserErrors.test.ts); without loading it: a copy of
    // the bin next to package.json alone, with no CLI to load, answers the same
    const bare = mkdtempSync(join(tmpdir(), "effect-damon-bare-"))
    mkdirSync(join(bare, "bin"))
    copyFileSync(bin, join(bare, "bin", "effect-damon.js"))
    writeFileSync(join(bare, "package.json"), JSON.stringify(pkg))
    const alone = spawnSync(process.execPath, [join(bare, "bin", "effect-damon.js"), "--version"], { encoding: "utf8" })
    assert.strictEqual(alone.stdout, fast, alone.stderr)
    rmSync(bare, { recursive: true })
  })

  it.live("user errors: one line on stderr, exit 1, no stack trace, from the process as in-process; --help exits 0", () =>
    Effect.gen(function*() {
      // the process: the exit status and stderr through the bin and its child (demo runs in one)
      const fromProcess = yield* Effect.promise(() => cli(["demo", "--sample-us", "0"]))
      assert.deepStrictEqual(fromProcess, {
        code: 1,
        stdout: "",
        stderr: "effect-damon: --sample-us: \"0\" is invalid: must be an integer >= 1 (see: effect-damon demo --help)\n"
      })
      const broken = join(dir, "broken.json")
      writeFileSync(broken, "{\"kdamonds\": [{\"contexts\": [{\"ops\": \"vaddr\", \"targets\": [{\"pid\": 42}], \"nr_regions\": {\"min\": \"many\"}}]}]}")
      for (const [args, message] of [
        [["demo", "--workload", "nonexistent"], "effect-damon: --workload: \"nonexistent\" is invalid: is neither a shipped workload (100mb, 2mb, default, demo, stairs, stairs_30secs, zigzag, zigzag_30secs) nor a masim file"],
        [["start", "--kdamonds", broken], `effect-damon: ${broken}: kdamonds[0].contexts[0].nr_regions.min: "many" is invalid: must be a number (commas allowed) or max`]
      ] as const) {
        const r = yield* runCliInProcess(args)
        assert.strictEqual(r.code, 1, args.join(" "))
        assert.strictEqual(r.stdout, "")
        assert.strictEqual(r.stderr, `${message}\n`)
      }
      const help = yield* runCliInProcess(["record", "--help"])
      assert.strictEqual(help.code, 0)
      assert.include(help.stdout, "EXAMPLES")
    }), 120_000)
})
