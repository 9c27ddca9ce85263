/**
 * What one client can make the endpoint hold, over raw sockets: the connection cap (503, not a
 * silent drop), requests per connection, the headers/request/keep-alive/idle timeouts (short
 * ones here), a bounded shutdown with half-open connections, and a 4xx answer (never a 5xx, never
 * a silent close) for every malformed request of a corpus.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Scope } from "effect"
import { connect, type Socket } from "node:net"
import { oneAnswer, port, rawExchange, rawGet, serverLayer } from "./support.ts"

/** An open connection that sends nothing (yet). */
const idle = (p: number) =>
  Effect.acquireRelease(
    Effect.callback<Socket>((resume) => {
      const socket = connect(p, "127.0.0.1", () => resume(Effect.succeed(socket)))
      socket.on("error", () => {})
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

/** Resolves when the socket closes; the text it received. */
const closed = (socket: Socket) =>
  Effect.callback<string>((resume) => {
    let text = ""
    socket.setEncoding("latin1")
    socket.on("data", (chunk: string) => void (text += chunk))
    if (socket.destroyed) return resume(Effect.succeed(text))
    socket.on("close", () => resume(Effect.succeed(text)))
  })

describe("limits", () => {
  it.live("maxConnections: the connection over the cap is answered 503 (JSON, Retry-After) and closed", () =>
    Effect.gen(function*() {
      const p = yield* port
      yield* idle(p)
      yield* idle(p)
      const third = yield* idle(p)
      const refused = yield* rawGet(p, "/admin/kdamonds/nr_kdamonds")
      assert.strictEqual(refused.status, 503, refused.text)
      assert.include(refused.text, "Connection: close\r\n")
      assert.include(refused.text, "Retry-After: 1\r\n")
      assert.include(refused.text, "\"errno\":\"EAGAIN\"")
      assert.include(refused.text, "too many connections (limit 3)")
      // a slot freed is a slot usable (once the server has seen the close)
      third.destroy()
      let status: number | undefined
      for (let i = 0; i < 50 && status !== 200; i++) {
        yield* Effect.sleep("50 millis")
        status = (yield* rawGet(p, "/admin/kdamonds/nr_kdamonds")).status
      }
      assert.strictEqual(status, 200)
    }).pipe(Effect.scoped, Effect.provide(serverLayer({ limits: { maxConnections: 3 } }))))

  it.live("maxRequestsPerConnection: the last answer says Connection: close, requests past it get 503", () =>
    Effect.gen(function*() {
      const p = yield* port
      const req = `GET /admin/kdamonds/nr_kdamonds HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`
      const reply = yield* rawExchange(p, req + req + req, { waitMs: 5000 })
      const answers = reply.text.split("HTTP/1.1 ").slice(1)
      assert.strictEqual(answers.length, 3, reply.text)
      assert.match(answers[0]!, /^200 /)
      assert.notMatch(answers[0]!, /connection: close/i)
      assert.match(answers[1]!, /^200 [\s\S]*connection: close/i)
      assert.match(answers[2]!, /^503 /)
      assert.isTrue(reply.closed, "closed by the server (keep-alive timeout)")
    }).pipe(Effect.provide(serverLayer({ limits: { maxRequestsPerConnection: 2, keepAliveTimeoutMs: 100 } }))), 20_000)

  it.live("pipelining within the limits: 100 requests at once on one connection, 100 answers in order", () =>
    Effect.gen(function*() {
      const p = yield* port
      const reqs = Array.from({ length: 100 }, (_, i) =>
        `GET /admin/kdamonds/${i % 2 === 0 ? "nr_kdamonds" : ""} HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`).join("")
      const reply = yield* rawExchange(p, reqs, { waitMs: 10_000, untilText: (t) => t.split("HTTP/1.1 ").length > 100 })
      const answers = reply.text.split("HTTP/1.1 ").slice(1)
      assert.strictEqual(answers.length, 100)
      answers.forEach((a, i) => assert.isTrue(a.endsWith(i % 2 === 0 ? "\r\n\r\n0\n" : "[\"nr_kdamonds\"]"), `answer ${i}: ${a}`))
    }).pipe(Effect.provide(serverLayer())))

  it.live("at the connection's limit, the request in progress still receives its body (no stall until 408)", () =>
    Effect.gen(function*() {
      const p = yield* port
      const reply = yield* Effect.callback<string>((resume) => {
        let text = ""
        const socket = connect(p, "127.0.0.1", () => {
          socket.write(`PUT /admin/kdamonds/nr_kdamonds HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nContent-Length: 2\r\n\r\n`)
          setTimeout(() => socket.write("1\n"), 200)
        })
        socket.on("data", (chunk) => {
          text += chunk
          if (oneAnswer(text)) socket.destroy()
        })
        socket.on("error", () => {})
        socket.on("close", () => resume(Effect.succeed(text)))
        return Effect.sync(() => socket.destroy())
      })
      assert.match(reply, /^HTTP\/1\.1 200 /)
      assert.isTrue((yield* rawGet(p, "/admin/kdamonds/nr_kdamonds")).text.endsWith("\r\n\r\n1\n"))
    }).pipe(Effect.provide(serverLayer({
      limits: { maxActivePerConnection: 1, headersTimeoutMs: 3000, requestTimeoutMs: 3000 }
    }))), 20_000)

  it.live("timeouts: silent and half-sent requests get 408; idle keep-alive connections are closed", () =>
    Effect.gen(function*() {
      const p = yield* port
      const [silent, partial, body, kept] = yield* Effect.all([
        rawExchange(p, "", { waitMs: 5000 }),
        rawExchange(p, "GET /metrics HTTP/1.1\r\nHost: 127.0", { waitMs: 5000 }),
        rawExchange(p, `PUT /admin/kdamonds/nr_kdamonds HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nContent-Length: 10\r\n\r\n1`, {
          waitMs: 5000
        }),
        rawExchange(p, `GET /admin/kdamonds/nr_kdamonds HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`, { waitMs: 5000 })
      ], { concurrency: "unbounded" })
      for (const [name, r] of [["silent", silent], ["partial headers", partial], ["partial body", body]] as const) {
        assert.isTrue(r.closed, `${name}: closed`)
        assert.strictEqual(r.status, 408, `${name}: ${r.text}`)
      }
      assert.strictEqual(kept.status, 200)
      assert.isTrue(kept.closed, "the idle keep-alive connection was closed by the server")
      assert.strictEqual((yield* rawGet(p, "/admin/kdamonds/nr_kdamonds")).status, 200)
    }).pipe(Effect.provide(serverLayer({
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 200 }
    }))), 20_000)

  it.live("idleTimeout: a connection with no traffic either way is destroyed", () =>
    Effect.gen(function*() {
      const p = yield* port
      const socket = yield* idle(p)
      const t0 = performance.now()
      yield* closed(socket)
      assert.isBelow(performance.now() - t0, 4000)
    }).pipe(
      Effect.scoped,
      Effect.provide(serverLayer({ limits: { idleTimeoutMs: 300, headersTimeoutMs: 8000, requestTimeoutMs: 8000 } }))
    ), 20_000)

  it.live("shutdown waits shutdownGraceMs for answers in progress, then closes half-open connections", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const services = yield* Layer.buildWithScope(serverLayer({ limits: { shutdownGraceMs: 300 } }), scope)
      const p = yield* Effect.provide(port, services)
      // a whole request first, answered (the connection is surely being served), then half of one
      const halfOpen = connect(p, "127.0.0.1")
      halfOpen.on("error", () => {})
      yield* Effect.callback<void>((resume) => {
        halfOpen.once("data", () => resume(Effect.void))
        halfOpen.write(`GET /admin/ HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`)
      })
      halfOpen.write("GET /metrics HTTP/1.1\r\nHost: 127.0")
      yield* Effect.sleep("300 millis")
      const gone = yield* Effect.forkChild(closed(halfOpen), { startImmediately: true })
      const t0 = performance.now()
      yield* Scope.close(scope, Exit.void)
      const ms = performance.now() - t0
      yield* Fiber.join(gone)
      halfOpen.destroy()
      assert.isAtLeast(ms, 250, "waited for the grace")
      assert.isBelow(ms, 5000, `shutdown took ${ms.toFixed(0)} ms`)
      const after = yield* rawExchange(p, "GET / HTTP/1.1\r\n\r\n", { waitMs: 500 })
      assert.isUndefined(after.status, "no longer listening")
    }), 20_000)

  it.live("every malformed request of a corpus gets a 4xx answer, never a 5xx or a silent close", () =>
    Effect.gen(function*() {
      const p = yield* port
      const host = `Host: 127.0.0.1:${p}\r\n`
      const corpus: ReadonlyArray<readonly [string, string]> = [
        ["HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
        ["garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello\r\n\r\n"],
        ["no version", "GET /metrics\r\n\r\n"],
        ["bad version", "GET /metrics HTTP/9.9\r\n\r\n"],
        ["unknown method", `BREW /metrics HTTP/1.1\r\n${host}\r\n`],
        ["lower-case method", `get /metrics HTTP/1.1\r\n${host}\r\n`],
        ["no Host (1.1)", "GET /metrics HTTP/1.1\r\n\r\n"],
        ["no Host (1.0)", "GET /metrics HTTP/1.0\r\n\r\n"],
        ["two Hosts", `GET /metrics HTTP/1.1\r\n${host}Host: evil.example\r\n\r\n`],
        ["foreign Host", "GET /admin/ HTTP/1.1\r\nHost: rebind.evil.example\r\n\r\n"],
        ["absolute-form to another host", `GET http://evil.example/admin/ HTTP/1.1\r\n${host}\r\n`],
        ["header without colon", `GET /metrics HTTP/1.1\r\n${host}Oops\r\n\r\n`],
        ["space before colon", `GET /metrics HTTP/1.1\r\n${host}X-A : b\r\n\r\n`],
        ["control character in a value", `GET /metrics HTTP/1.1\r\n${host}X-A: b\x01c\r\n\r\n`],
        ["header too large", `GET /metrics HTTP/1.1\r\n${host}X-Big: ${"a".repeat(20_000)}\r\n\r\n`],
        ["request line too large", `GET /admin/${"a".repeat(20_000)} HTTP/1.1\r\n${host}\r\n`],
        ["Content-Length and Transfer-Encoding", `PUT /admin/x HTTP/1.1\r\n${host}Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
        ["two Content-Lengths", `PUT /admin/x HTTP/1.1\r\n${host}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`],
        ["bad Content-Length", `PUT /admin/x HTTP/1.1\r\n${host}Content-Length: -1\r\n\r\n`],
        ["bad chunk size", `PUT /admin/kdamonds/nr_kdamonds HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\nzz\r\n1\r\n0\r\n\r\n`],
        ["unknown transfer coding", `PUT /admin/x HTTP/1.1\r\n${host}Transfer-Encoding: gzip\r\n\r\n`],
        ["CONNECT", `CONNECT 127.0.0.1:22 HTTP/1.1\r\n${host}\r\n`],
        ["OPTIONS preflight", `OPTIONS /admin/kdamonds/0/state HTTP/1.1\r\n${host}Origin: http://evil.example\r\nAccess-Control-Request-Method: PUT\r\n\r\n`],
        ["OPTIONS *", `OPTIONS * HTTP/1.1\r\n${host}\r\n`],
        ["TRACE", `TRACE /metrics HTTP/1.1\r\n${host}\r\n`],
        ["foreign-origin websocket", `GET /metrics HTTP/1.1\r\n${host}Origin: http://evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`],
        ["NUL in the path", `GET /admin/kdamonds%00/ HTTP/1.1\r\n${host}\r\n`],
        ["bad percent-encoding", `GET /admin/%zz HTTP/1.1\r\n${host}\r\n`],
        ["traversal", `GET /admin/../../etc/passwd HTTP/1.1\r\n${host}\r\n`],
        ["encoded traversal", `GET /admin/%2e%2e%2f%2e%2e/etc HTTP/1.1\r\n${host}\r\n`],
        ["unknown route", `GET /nothing HTTP/1.1\r\n${host}\r\n`],
        ["PUT /metrics", `PUT /metrics HTTP/1.1\r\n${host}Content-Length: 0\r\n\r\n`],
        ["POST /admin", `POST /admin/kdamonds/nr_kdamonds HTTP/1.1\r\n${host}Content-Length: 1\r\n\r\n1`],
        ["PUT a directory", `PUT /admin/kdamonds/ HTTP/1.1\r\n${host}Content-Length: 1\r\n\r\n1`],
        ["body too large", `PUT /admin/kdamonds/nr_kdamonds HTTP/1.1\r\n${host}Content-Length: 2000000\r\n\r\n${"1".repeat(70_000)}`],
        ["non-UTF-8 body", `PUT /admin/kdamonds/nr_kdamonds HTTP/1.1\r\n${host}Content-Length: 2\r\n\r\n\xff\xfe`],
        ["bad paging", `GET /admin/kdamonds/?limit=0 HTTP/1.1\r\n${host}\r\n`]
      ]
      const failures: Array<string> = []
      for (const [name, bytes] of corpus) {
        // every entry is answered at once; the wait bounds a server that would not answer
        const reply = yield* rawExchange(p, Buffer.from(bytes, "latin1"), { waitMs: 10_000, untilText: oneAnswer })
        const s = reply.status
        // a declared length above the limit is refused on its headers, not after the request
        // timeout (2 s) while the rest of the body is awaited
        if (name === "body too large" && (s !== 413 || !reply.text.includes("EFBIG"))) failures.push(`${name}: not 413 EFBIG: ${reply.text.slice(0, 200)}`)
        if (s === undefined || s < 400 || s > 499) failures.push(`${name}: ${JSON.stringify(reply.text.slice(0, 120))}`)
        if (/access-control-/i.test(reply.text)) failures.push(`${name}: CORS header in ${reply.text}`)
      }
      assert.deepStrictEqual(failures, [])
      // an Upgrade is never performed: a same-origin one is answered as the plain GET it is
      const upgrade = yield* rawExchange(
        p,
        `GET /metrics HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        { waitMs: 3000, untilText: oneAnswer }
      )
      assert.strictEqual(upgrade.status, 200, upgrade.text)
      // and nothing was changed by any of them
      const nr = yield* rawGet(p, "/admin/kdamonds/nr_kdamonds")
      assert.isTrue(nr.text.endsWith("\r\n\r\n0\n"), nr.text)
    }).pipe(Effect.provide(serverLayer({ limits: { headersTimeoutMs: 1000, requestTimeoutMs: 2000 } }))), 60_000)
})
