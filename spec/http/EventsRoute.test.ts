/**
 * `GET /events/kdamonds/<K>`: a running kdamond's events as server-sent events (started, one
 * aggregated event per aggregation with its regions, stopped, then the end of the response); a
 * missing directory is 404 ENOENT and a kdamond that is not running 403 EPERM.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result, Stream } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { Damon, OpsRegistry, World } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"
import { decodeMessage, makeSseParser, type WireEvent } from "../../src/http/EventsCodec.ts"
import * as Endpoint from "../../src/http/HttpEndpoint.ts"
import * as WorkerEndpoint from "../../src/http/WorkerEndpoint.ts"
import * as Sysfs from "../../src/sysfs/Sysfs.ts"
import { put, putAll } from "./support.ts"

/**
 * The endpoint over a real-time tree (a few aggregations take a few hundred milliseconds), served
 * from the tree's thread or from a worker thread (events then cross threads by message).
 */
const realTimeServer = (thread: "main" | "worker") => {
  const config = Result.getOrThrow(MasimFiles.loadMasimConfig("stairs"))
  const machine = Result.getOrThrow(SimMachine.SimMachine.withMasim(config, { seed: 1, pid: 42, loop: true }))
  const tree = Sysfs.layer({ start: { seed: 1 }, processExists: (pid) => machine.process(pid) !== undefined }).pipe(
    Layer.provide(Damon.layer),
    Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), World.layerReal])
  )
  const endpoint = (thread === "main" ? Endpoint.layer : WorkerEndpoint.layer)({ port: 0 })
  return endpoint.pipe(Layer.provideMerge(tree), Layer.merge(FetchHttpClient.layer))
}

describe.each(["main", "worker"] as const)("events endpoint (HTTP in the %s thread)", (thread) => {
  it.live("streams started, aggregations with their regions, and stopped when the kdamond stops", () =>
    Effect.gen(function*() {
      const base = yield* Endpoint.url
      const client = yield* HttpClient.HttpClient
      const missing = yield* client.get(`${base}/events/kdamonds/0`)
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(((yield* missing.json) as { errno: string }).errno, "ENOENT")
      const C = "kdamonds/0/contexts/0"
      yield* putAll([
        ["kdamonds/nr_kdamonds", "1"],
        ["kdamonds/0/contexts/nr_contexts", "1"],
        [`${C}/operations`, "vaddr"],
        [`${C}/monitoring_attrs/intervals/aggr_us`, "50000"],
        [`${C}/targets/nr_targets`, "1"],
        [`${C}/targets/0/pid_target`, "42"]
      ])
      const off = yield* client.get(`${base}/events/kdamonds/0`)
      assert.strictEqual(off.status, 403)
      assert.strictEqual(((yield* off.json) as { errno: string }).errno, "EPERM")
      assert.strictEqual((yield* put("kdamonds/0/state", "on")).status, 200)
      const res = yield* client.get(`${base}/events/kdamonds/0`)
      assert.strictEqual(res.status, 200)
      assert.strictEqual(res.headers["content-type"], "text/event-stream")
      const parser = makeSseParser()
      const decoder = new TextDecoder()
      const seen: Array<WireEvent> = []
      let stopping = false
      yield* res.stream.pipe(
        Stream.runForEachWhile((chunk) =>
          Effect.gen(function*() {
            for (const m of parser.feed(decoder.decode(chunk, { stream: true }))) {
              const e = decodeMessage(m)
              if (typeof e === "string") throw new Error(e)
              seen.push(e)
            }
            if (!stopping && seen.filter((e) => e._tag === "Aggregated").length >= 3) {
              stopping = true
              assert.strictEqual((yield* put("kdamonds/0/state", "off")).status, 200)
            }
            return true
          })
        ),
        Effect.timeout("20 seconds")
      )
      assert.strictEqual(seen[0]!._tag, "Started")
      assert.strictEqual(seen[seen.length - 1]!._tag, "Stopped")
      const aggregated = seen.flatMap((e) => (e._tag === "Aggregated" ? [e] : []))
      assert.isAtLeast(aggregated.length, 3)
      for (const a of aggregated) {
        assert.strictEqual(a.aggrIntervalUs, 50_000)
        assert.strictEqual(a.targets[0]!.pid, 42)
        assert.isAbove(a.targets[0]!.regions.length, 0)
        for (const [start, end] of a.targets[0]!.regions) assert.isBelow(start, end)
      }
    }).pipe(Effect.provide(realTimeServer(thread))), 60_000)
})
