/**
 * Clients that never read: the reproduction of issue 13's attack, scaled down (20 connections,
 * each pipelining 2000 `GET /metrics` without reading an answer, while a real-time kdamond runs
 * so that every scrape waits for a `damonCall`). Before the fix every parsed request started at
 * once: here a normal client waited 4.5 to 6 s and the heap grew by 170 MB (4.3 GB in the full
 * attack, 100 x 20 000). Now a connection is not read while its requests wait, and one with more
 * than `maxWaitingPerConnection` (128) waiting is closed: measured 1.4 MB of heap growth, the
 * normal client answered in 2-40 ms once the attackers' first read buffers (some 1 400 requests
 * each, parsed by Node before anyone can look) are dealt with, which takes 0.5-2 s here (the first
 * request of the normal client waits that long, and is answered). Runs in about five seconds.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { connect, type Socket } from "node:net"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { PID, port, putAll, rawGet, serverLayer, threads } from "./support.ts"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

/** Heap in use after a full collection, in MB. */
const heapMb = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed / 2 ** 20
}

const CONNECTIONS = 20
const PIPELINED = 2000
/** Stated bound on the heap growth under the attack (before the fix: 170 MB here). */
const HEAP_BOUND_MB = 32
/** A normal client's request, answered within this (median of five, once the attackers are cut). */
const ANSWER_BOUND_MS = 100

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

/**
 * Opens a connection, writes every request at once and never reads (no `data` listener: the
 * stream stops reading once its buffer is full); `closed` is set when the server closes it.
 */
const attacker = (portNumber: number, payload: Buffer): { readonly socket: Socket; closed: boolean } => {
  const socket = connect(portNumber, "127.0.0.1", () => socket.write(payload))
  const a = { socket, closed: false }
  socket.on("error", () => {})
  socket.on("close", () => void (a.closed = true))
  return a
}

describe.each(threads)("unread pipelining (HTTP in the %s thread)", (thread) => {
  it.live("20 x 2000 pipelined GET /metrics never read: bounded heap, a normal client answered meanwhile", () =>
    Effect.gen(function*() {
      const C = "kdamonds/0/contexts/0"
      yield* putAll([
        ["kdamonds/nr_kdamonds", "1"],
        ["kdamonds/0/contexts/nr_contexts", "1"],
        [`${C}/operations`, "vaddr"],
        [`${C}/targets/nr_targets`, "1"],
        [`${C}/targets/0/pid_target`, String(PID)],
        [`${C}/schemes/nr_schemes`, "1"],
        ["kdamonds/0/state", "on"]
      ])
      const p = yield* port
      const before = heapMb()
      const request = Buffer.from(`GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`)
      const payload = Buffer.concat(Array.from({ length: PIPELINED }, () => request))
      const attackers = Array.from({ length: CONNECTIONS }, () => attacker(p, payload))
      yield* Effect.addFinalizer(() => Effect.sync(() => attackers.forEach((a) => a.socket.destroy())))

      // A normal client during the attack: answered (never starved), whatever Node's parsing of
      // the attackers' first read buffers costs at first.
      const first = yield* rawGet(p, "/admin/kdamonds/nr_kdamonds", "", 30_000)
      assert.strictEqual(first.status, 200, first.text)
      // Each attacker is cut once more than maxWaitingPerConnection of its requests wait.
      for (let i = 0; i < 300 && !attackers.every((a) => a.closed); i++) yield* Effect.sleep("100 millis")
      assert.isTrue(attackers.every((a) => a.closed), "every attacker's connection was closed by the server")
      const latencies: Array<number> = []
      for (let i = 0; i < 5; i++) {
        const reply = yield* rawGet(p, "/admin/kdamonds/nr_kdamonds")
        assert.strictEqual(reply.status, 200, reply.text)
        assert.isTrue(reply.text.endsWith("\r\n\r\n1\n"), reply.text)
        latencies.push(reply.ms)
        yield* Effect.sleep("100 millis")
      }
      const growth = heapMb() - before
      assert.isBelow(median(latencies), ANSWER_BOUND_MS, `latencies ${latencies.map((l) => l.toFixed(1)).join(", ")} ms`)
      // (a worker's heap is its own: this thread's is measured when HTTP is served here)
      if (thread === "main") assert.isBelow(growth, HEAP_BOUND_MB, `heap grew by ${growth.toFixed(0)} MB`)
    }).pipe(Effect.provide(serverLayer({}, "real", thread))), 90_000)
})
