/**
 * `--otlp <url>`: a command's traces and metrics reach an OpenTelemetry collector through
 * Effect's own OTLP exporter (a local HTTP server stands in for the collector here).
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer } from "node:http"
import { join } from "node:path"
import { runCli } from "../../src/cli/CliRun.ts"
import { testTempDir } from "../support/tempDir.ts"

/** A collector that keeps every request's path and body. */
const collector = Effect.acquireRelease(
  Effect.callback<{ readonly url: string; readonly received: Array<{ path: string; body: string }>; readonly close: () => void }>((resume) => {
    const received: Array<{ path: string; body: string }> = []
    const server = createServer((req, res) => {
      let body = ""
      req.setEncoding("utf8").on("data", (c: string) => void (body += c))
      req.on("end", () => {
        received.push({ path: req.url ?? "", body })
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, received, close: () => void server.close() }))
    })
  }),
  (c) => Effect.sync(() => c.close())
)

describe("--otlp", () => {
  it.live("record exports its spans (the command, Damon.start) and the kdamond's metrics to the collector", () =>
    Effect.gen(function*() {
      const c = yield* collector
      const out = join(testTempDir("effect-damon-otlp-"), "otlp.data")
      const code = yield* runCli(["record", "--duration", "2s", "-o", out, "--otlp", c.url]).pipe(Effect.provide(NodeServices.layer))
      assert.strictEqual(code, 0)
      const traces = c.received.filter((r) => r.path === "/v1/traces").map((r) => r.body).join("\n")
      const metrics = c.received.filter((r) => r.path === "/v1/metrics").map((r) => r.body).join("\n")
      assert.include(traces, "effect-damon record")
      assert.include(traces, "Damon.start")
      assert.include(traces, "\"effect-damon\"")
      assert.include(metrics, "damon_kdamond_aggregations")
    }), 60_000)
})
