/**
 * `effect-damon serve`: the program in-process (listens, serves the tree of a simulated machine
 * with pid 42, shuts down on interruption, closing the server and stopping the kdamonds), the
 * command in-process (`spec/support/cliInProcess.ts`: bad flags, `--token-file`), and the CLI as
 * a real process, the executable as a user runs it (the bin and the child it starts `serve` in),
 * where only a process shows it (prints the URL, serves, exits cleanly on SIGINT and SIGTERM
 * through `NodeRuntime.runMain`, the bin passing the signal on and exiting with the child's
 * status; the shutdown grace; a second signal).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { spawn } from "node:child_process"
import { chmodSync, readFileSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { runServe, type ServeOptions, serveLayer } from "../../src/cli/Serve.ts"
import * as Endpoint from "../../src/http/HttpEndpoint.ts"
import { Sysfs } from "../../src/sysfs/Sysfs.ts"
import { runCliInProcess } from "../support/cliInProcess.ts"
import { errorOf, get, put, putAll } from "./support.ts"
import { testTempDir } from "../support/tempDir.ts"

const options: ServeOptions = { port: 0, host: "127.0.0.1", workload: "stairs", seed: 1, time: "virtual" }

const fetchText = (url: string) =>
  Effect.gen(function*() {
    const res = yield* (yield* HttpClient.HttpClient).get(url)
    return { status: res.status, text: yield* res.text }
  })

describe("serve", () => {
  it.live("runServe - reports the URL, serves the tree, and shuts down when interrupted", () =>
    Effect.gen(function*() {
      const ready = yield* Deferred.make<string>()
      const fiber = yield* Effect.forkChild(runServe(options, (url) => Effect.asVoid(Deferred.succeed(ready, url))), {
        startImmediately: true
      })
      const url = yield* Deferred.await(ready)
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.deepStrictEqual(yield* fetchText(`${url}/admin/kdamonds/nr_kdamonds`), { status: 200, text: "0\n" })
      yield* Fiber.interrupt(fiber)
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause))
      // the port is closed
      const after = yield* Effect.result(fetchText(`${url}/admin/kdamonds/nr_kdamonds`))
      assert.strictEqual(after._tag, "Failure")
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.live("serveLayer - pid 42 is the only process; releasing the layer closes the server and stops the kdamonds", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const services = yield* Layer.buildWithScope(Layer.merge(serveLayer(options), FetchHttpClient.layer), scope)
      const run = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient | Sysfs | Endpoint.Endpoint>) =>
        Effect.provide(effect, services)
      const C = "kdamonds/0/contexts/0"
      yield* run(putAll([
        ["kdamonds/nr_kdamonds", "1"],
        ["kdamonds/0/contexts/nr_contexts", "1"],
        [`${C}/operations`, "vaddr"],
        [`${C}/targets/nr_targets`, "1"],
        [`${C}/targets/0/pid_target`, "43"]
      ]))
      assert.deepStrictEqual(pick(errorOf(yield* run(put("kdamonds/0/state", "on")))), [400, "EINVAL"])
      assert.strictEqual((yield* run(put(`${C}/targets/0/pid_target`, "42"))).status, 200)
      assert.strictEqual((yield* run(put("kdamonds/0/state", "on"))).status, 200)
      assert.strictEqual((yield* run(get("kdamonds/0/state"))).text, "on\n")
      const url = yield* run(Endpoint.url)
      const [entry] = yield* run(Effect.flatMap(Sysfs, (fs) => fs.kdamonds))
      const kdamond = entry!.kdamond!
      assert.isTrue(yield* kdamond.isRunning)
      yield* Scope.close(scope, Exit.void)
      assert.isFalse(yield* kdamond.isRunning)
      const after = yield* Effect.result(fetchText(`${url}/metrics`).pipe(Effect.provide(FetchHttpClient.layer)))
      assert.strictEqual(after._tag, "Failure")
    }))

  it.live("serveLayer - an unknown workload is an InvalidArgument", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(serveLayer({ ...options, workload: "no-such-workload" })))
      assert.strictEqual(error._tag, "DamonError")
      assert.strictEqual(error._tag === "DamonError" ? error.errno : "", "EINVAL")
    }))

  it.live("the CLI - `serve --port 0` prints the URL, serves, and exits cleanly on SIGINT and on SIGTERM, within --shutdown-grace-ms", () =>
    Effect.gen(function*() {
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        // SIGTERM with a connection the shutdown has to wait for: bounded by the grace (one
        // process for both checks; each start costs a second or two of CPU)
        const grace = signal === "SIGTERM" ? ["--shutdown-grace-ms", "500"] : []
        const run = yield* startCli(["serve", "--port", "0", "--time", "virtual", "--seed", "3", ...grace])
        const url = yield* run.url
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.deepStrictEqual(yield* fetchText(`${url}/admin/kdamonds/nr_kdamonds`), { status: 200, text: "0\n" })
        if (signal === "SIGTERM") yield* holdHalfOpen(new URL(url))
        const t0 = performance.now()
        const { code, stdout, stderr } = yield* run.stop(signal)
        const ms = performance.now() - t0
        assert.strictEqual(code, 130, `${signal}: ${stderr}`)
        assert.isBelow(ms, 15_000, `${signal}: exited after ${ms.toFixed(0)} ms`)
        assert.include(stdout, "workload 'stairs' as pid 42, virtual time, seed 3")
        assert.include(stdout, "effect-damon serve: stopped")
        assert.strictEqual(stderr, "")
      }
    }).pipe(Effect.provide(FetchHttpClient.layer), Effect.scoped), 120_000)

  it.live("the CLI - a bad port, host or token file: one line on stderr naming it, exit code 1, no stack", () =>
    Effect.gen(function*() {
      const dir = testTempDir("damon-serve-")
      const openToken = join(dir, "token")
      writeFileSync(openToken, "0123456789abcdef0123\n", { mode: 0o644 })
      chmodSync(openToken, 0o644)
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        [["--port", "70000"], "effect-damon: --port: \"70000\" is invalid: must be a TCP port in [0, 65535]"],
        [["--port", "0", "--host", "0.0.0.0"], "effect-damon: host: \"0.0.0.0\" is invalid: every address"],
        [["--port", "0", "--token-file", openToken], "is accessible to other users (mode 644); chmod 600 it"]
      ]
      // (the other refusals are the endpoint options', tested in Guard.test.ts and Security.test.ts)
      const results = yield* Effect.forEach(cases, ([args]) => runCliInProcess(["serve", ...args]), { concurrency: "unbounded" })
      cases.forEach(([args, expected], i) => {
        const { code, stdout, stderr } = results[i]!
        const what = args.join(" ")
        assert.strictEqual(code, 1, `${what}: ${stderr}`)
        assert.strictEqual(stdout, "", what)
        assert.strictEqual(stderr.trimEnd().split("\n").length, 1, `${what}: ${stderr}`)
        assert.include(stderr, expected, what)
        assert.notInclude(stderr, "0123456789abcdef", "the token is never shown")
        assert.notMatch(stderr, /\bat \S+ \(|RangeError/, what)
      })
    }), 60_000)

  it.live("the CLI - --token-file: 401 without the token, served with it", () =>
    Effect.gen(function*() {
      const dir = testTempDir("damon-serve-")
      const file = join(dir, "token")
      writeFileSync(file, "cli-token-0123456789abcdef\n", { mode: 0o600 })
      const listening = yield* Deferred.make<string>()
      const run = yield* Effect.forkChild(
        runCliInProcess(["serve", "--port", "0", "--time", "virtual", "--token-file", file], {
          onStdout: (out) => {
            const m = /listening on (http:\/\/\S+)/.exec(out)
            if (m !== null) Deferred.doneUnsafe(listening, Effect.succeed(m[1]!))
          }
        }),
        { startImmediately: true }
      )
      const url = yield* Deferred.await(listening).pipe(Effect.timeout("20 seconds"))
      const without = yield* fetchText(`${url}/admin/kdamonds/nr_kdamonds`)
      assert.strictEqual(without.status, 401)
      const res = yield* (yield* HttpClient.HttpClient).get(`${url}/admin/kdamonds/nr_kdamonds`, {
        headers: { authorization: "Bearer cli-token-0123456789abcdef" }
      })
      assert.deepStrictEqual([res.status, yield* res.text], [200, "0\n"])
      // stopped as Ctrl-C stops it (the exit status 130 of that is the process's, tested above)
      yield* Fiber.interrupt(run)
      const exit = yield* Fiber.await(run)
      assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause))
    }).pipe(Effect.provide(FetchHttpClient.layer)), 30_000)

  it.live("the CLI - a second signal exits at once, not waiting for the shutdown grace", () =>
    Effect.gen(function*() {
      const run = yield* startCli(["serve", "--port", "0", "--time", "virtual", "--shutdown-grace-ms", "60000"])
      yield* holdHalfOpen(new URL(yield* run.url))
      const t0 = performance.now()
      const stopped = yield* Effect.forkChild(run.stop("SIGTERM"), { startImmediately: true })
      yield* Effect.sleep("300 millis")
      run.signal("SIGINT")
      const { code, stderr } = yield* Fiber.join(stopped)
      const ms = performance.now() - t0
      assert.strictEqual(code, 130, `second signal: ${stderr}`)
      assert.isBelow(ms, 15_000, `second signal: exited after ${ms.toFixed(0)} ms`)
      assert.include(stderr, "SIGINT again, exiting without waiting")
    }).pipe(Effect.scoped), 60_000)
})

const pick = (e: { readonly status: number; readonly errno: string }) => [e.status, e.errno] as const

/**
 * A half-open connection to the server at `url` for the rest of the scope: a whole request first,
 * answered (so the connection is surely being served), then the start of another; a shutdown
 * cannot close it as idle and waits for the grace. Then a second, for it to settle.
 */
const holdHalfOpen = (url: URL) =>
  Effect.gen(function*() {
    const socket = connect(Number(url.port), "127.0.0.1")
    socket.on("error", () => {})
    yield* Effect.addFinalizer(() => Effect.sync(() => socket.destroy()))
    yield* Effect.callback<void>((resume) => {
      socket.once("data", () => resume(Effect.void))
      socket.write(`GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:${url.port}\r\n\r\n`)
    })
    socket.write("GET /metrics HTTP/1.1\r\nHost: 1")
    yield* Effect.sleep("1 second")
  })

/**
 * A process's start time (field 22 of `/proc/<pid>/stat`, in clock ticks since boot): with its
 * pid, what tells it from a later process given the same pid. `undefined` once it is gone (or
 * without `/proc`).
 */
const startTimeOf = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // the command name (field 2) is in parentheses and may hold spaces; field 22 is the 20th after it
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]
  } catch {
    return undefined
  }
}

/** The pids of `pid`'s children (Linux: `/proc/<pid>/task/<pid>/children`); none when unknown. */
const childrenOf = (pid: number): Array<number> => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter((x) => x !== "").map(Number)
  } catch {
    return []
  }
}

/**
 * Runs the executable, `bin/effect-damon.js`, as a user runs it: the bin starts `serve` in a child
 * Node and passes signals on to it, and its exit status is the child's. `url` resolves once the
 * banner is printed, `stop` sends a signal (to the bin) and waits for it to end, its output read
 * to the end. When the test ends, the bin and the child it had when the banner came are killed
 * if they still run (a bin killed by a signal it did not pass on leaves its child running); each
 * is known by its pid and start time, so a later process given the same pid is left alone. Both
 * stay in the test run's process group, so a Ctrl-C of the run reaches them too.
 */
const startCli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const child = spawn(process.execPath, [fileURLToPath(new URL("../../bin/effect-damon.js", import.meta.url)), ...args], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    const started: Array<readonly [number, string]> = []
    const remember = (pid: number) => {
      const start = startTimeOf(pid)
      if (start !== undefined) started.push([pid, start])
    }
    if (child.pid !== undefined) remember(child.pid)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const [pid, start] of started) {
          if (startTimeOf(pid) !== start) continue
          try {
            process.kill(pid, "SIGKILL")
          } catch {
            // ended in between
          }
        }
      })
    )
    let stdout = ""
    let stderr = ""
    const ready = Deferred.makeUnsafe<string, Error>()
    const exited = Deferred.makeUnsafe<number | null>()
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
      const m = /listening on (http:\/\/\S+)/.exec(stdout)
      if (m !== null && Deferred.doneUnsafe(ready, Effect.succeed(m[1]!)) && child.pid !== undefined) {
        for (const pid of childrenOf(child.pid)) remember(pid)
      }
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => void (stderr += chunk))
    // `close`: the bin has exited and its output (which its child shares) is read to the end
    child.on("close", (code) => {
      Deferred.doneUnsafe(ready, Effect.fail(new Error(`exited (${code}) before listening: ${stdout}${stderr}`)))
      Deferred.doneUnsafe(exited, Effect.succeed(code))
    })
    return {
      url: Deferred.await(ready).pipe(Effect.timeout("20 seconds")),
      stop: (signal: NodeJS.Signals) =>
        Effect.gen(function*() {
          child.kill(signal)
          const code = yield* Deferred.await(exited).pipe(Effect.timeout("20 seconds"))
          return { code, stdout, stderr }
        }),
      signal: (signal: NodeJS.Signals) => void child.kill(signal)
    }
  })
