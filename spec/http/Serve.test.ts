/**
 * `effect-damon serve`: the program in-process (listens, serves the tree of a simulated machine
 * with pid 42, shuts down on interruption, closing the server and stopping the kdamonds), and the
 * CLI as a real process (prints the URL, serves, exits cleanly on SIGINT and SIGTERM through
 * `NodeRuntime.runMain`).
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { FetchHttpClient, HttpClient, type HttpServer } from "effect/http"
import { spawn } from "node:child_process"
import { runServe, type ServeOptions, serveLayer } from "../../src/cli/Serve.ts"
import * as Endpoint from "../../src/http/HttpEndpoint.ts"
import { Sysfs } from "../../src/sysfs/Sysfs.ts"
import { errorOf, get, put, putAll } from "./support.ts"

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
      const run = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient | Sysfs | HttpServer.HttpServer>) =>
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

  it.live("the CLI - `serve --port 0` prints the URL, serves, and exits cleanly on SIGINT and SIGTERM", () =>
    Effect.gen(function*() {
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        const run = yield* startCli(["serve", "--port", "0", "--time", "virtual", "--seed", "3"])
        const url = yield* run.url
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.deepStrictEqual(yield* fetchText(`${url}/admin/kdamonds/nr_kdamonds`), { status: 200, text: "0\n" })
        const { code, stdout, stderr } = yield* run.stop(signal)
        assert.strictEqual(code, 130, `${signal}: ${stderr}`)
        assert.include(stdout, "workload 'stairs' as pid 42, virtual time, seed 3")
        assert.include(stdout, "effect-damon serve: stopped")
        assert.strictEqual(stderr, "")
      }
    }).pipe(Effect.provide(FetchHttpClient.layer)), 30_000)
})

const pick = (e: { readonly status: number; readonly errno: string }) => [e.status, e.errno] as const

/**
 * Runs `src/cli/main.ts` with the node running the tests (type stripping, `development`
 * condition, as `npm start` does); `url` resolves once the banner is printed, `stop` sends a
 * signal and waits for the exit. The process is killed if the test ends first.
 */
const startCli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const child = spawn(process.execPath, ["--conditions=development", "src/cli/main.ts", ...args], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => void (child.exitCode === null && child.kill("SIGKILL"))))
    let stdout = ""
    let stderr = ""
    const ready = Deferred.makeUnsafe<string, Error>()
    const exited = Deferred.makeUnsafe<number | null>()
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
      const m = /listening on (http:\/\/\S+)/.exec(stdout)
      if (m !== null) Deferred.doneUnsafe(ready, Effect.succeed(m[1]!))
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => void (stderr += chunk))
    child.on("exit", (code) => {
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
        })
    }
  })
