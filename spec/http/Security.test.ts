/**
 * The endpoint a browser cannot drive, over raw sockets (fetch cannot forge `Host`): DNS
 * rebinding (a foreign `Host`) and foreign `Origin`s are refused with 403 and change nothing, no
 * answer carries CORS headers, preflights are refused; the optional bearer token (401 without
 * it, on every route); a non-loopback bind only when told twice; bounded listings and error
 * messages.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Endpoint from "../../src/http/HttpEndpoint.ts"
import { get, oneAnswer, port, putAll, rawExchange, type RawReply, serverLayer, threads } from "./support.ts"

/** A raw request with the given extra header lines (each ending in CRLF) and body. */
const raw = (p: number, method: string, path: string, headers: string, body = "") =>
  rawExchange(
    p,
    `${method} ${path} HTTP/1.1\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    { untilText: oneAnswer, waitMs: 5000 }
  )

const bodyOf = (r: RawReply) => r.text.slice(r.text.indexOf("\r\n\r\n") + 4)
const errnoOf = (r: RawReply) => (JSON.parse(bodyOf(r)) as { readonly errno: string }).errno
const headerOf = (r: RawReply, name: string) =>
  new RegExp(`\r\n${name}: *([^\r]*)`, "i").exec(r.text.slice(0, r.text.indexOf("\r\n\r\n")))?.[1]

const TOKEN = "test-token-0123456789abcdef"

describe.each(threads)("security (HTTP in the %s thread)", (thread) => {
  it.live("DNS rebinding and foreign origins: 403, nothing changed; our own names work; no CORS anywhere", () =>
    Effect.gen(function*() {
      const p = yield* port
      const ours = `Host: 127.0.0.1:${p}\r\n`
      const answers: Array<RawReply> = []
      const send = (method: string, path: string, headers: string, body = "") =>
        Effect.tap(raw(p, method, path, headers, body), (r) => Effect.sync(() => answers.push(r)))

      const rebound = yield* send("PUT", "/admin/kdamonds/nr_kdamonds", `Host: rebind.evil.example:${p}\r\n`, "1")
      assert.deepStrictEqual([rebound.status, errnoOf(rebound)], [403, "EACCES"])
      assert.strictEqual((yield* send("GET", "/metrics", `Host: rebind.evil.example:${p}\r\n`)).status, 403)
      const foreign = yield* send("PUT", "/admin/kdamonds/nr_kdamonds", `${ours}Origin: http://evil.example\r\n`, "1")
      assert.strictEqual(foreign.status, 403)
      const crossSite = yield* send("GET", "/admin/kdamonds/nr_kdamonds", `${ours}Sec-Fetch-Site: cross-site\r\n`)
      assert.strictEqual(crossSite.status, 403)
      const preflight = yield* send(
        "OPTIONS",
        "/admin/kdamonds/nr_kdamonds",
        `${ours}Origin: http://evil.example\r\nAccess-Control-Request-Method: PUT\r\n`
      )
      assert.strictEqual(preflight.status, 403)
      assert.strictEqual((yield* send("OPTIONS", "/admin/kdamonds/nr_kdamonds", ours)).status, 405)
      assert.strictEqual((yield* get("kdamonds/nr_kdamonds")).text, "0\n", "nothing changed")

      // localhost, the bound address and the endpoint's own origin are accepted
      assert.strictEqual((yield* send("PUT", "/admin/kdamonds/nr_kdamonds", `Host: localhost:${p}\r\n`, "1")).status, 200)
      const sameOrigin = yield* send("PUT", "/admin/kdamonds/nr_kdamonds", `${ours}Origin: http://127.0.0.1:${p}\r\n`, "2")
      assert.strictEqual(sameOrigin.status, 200)
      assert.strictEqual((yield* send("GET", "/metrics", `${ours}Sec-Fetch-Site: none\r\n`)).status, 200)
      assert.strictEqual((yield* get("kdamonds/nr_kdamonds")).text, "2\n")
      for (const r of answers) assert.notMatch(r.text, /access-control-/i, r.text)
    }).pipe(Effect.provide(serverLayer({}, "virtual", thread))))

  it.live("a bearer token: 401 with WWW-Authenticate on every route without it, nothing changed; served with it", () =>
    Effect.gen(function*() {
      const p = yield* port
      const ours = `Host: 127.0.0.1:${p}\r\n`
      for (const [method, path] of [["GET", "/metrics"], ["GET", "/admin/"], ["PUT", "/admin/kdamonds/nr_kdamonds"]]) {
        const r = yield* raw(p, method!, path!, ours, method === "PUT" ? "1" : "")
        assert.strictEqual(r.status, 401, `${method} ${path}`)
        assert.strictEqual(headerOf(r, "www-authenticate"), "Bearer realm=\"effect-damon\"")
      }
      const wrong = yield* raw(p, "PUT", "/admin/kdamonds/nr_kdamonds", `${ours}Authorization: Bearer ${TOKEN}x\r\n`, "1")
      assert.strictEqual(wrong.status, 401)
      const auth = `${ours}Authorization: Bearer ${TOKEN}\r\n`
      assert.strictEqual((yield* raw(p, "GET", "/admin/kdamonds/nr_kdamonds", auth)).text.endsWith("\r\n\r\n0\n"), true)
      assert.strictEqual((yield* raw(p, "PUT", "/admin/kdamonds/nr_kdamonds", auth, "1")).status, 200)
      assert.isTrue((yield* raw(p, "GET", "/admin/kdamonds/nr_kdamonds", auth)).text.endsWith("\r\n\r\n1\n"))
    }).pipe(Effect.provide(serverLayer({ token: TOKEN }, "virtual", thread))))

  it.effect("bad options fail the layer with InvalidArgument before anything listens", () =>
    Effect.gen(function*() {
      for (const options of [{ port: 70000 }, { host: "0.0.0.0" }, { token: "short" }, { limits: { maxConnections: 0 } }]) {
        const error = yield* Effect.flip(Layer.build(serverLayer(options, "virtual", thread)))
        assert.strictEqual(error._tag, "DamonError", JSON.stringify(options))
        assert.strictEqual(error._tag === "DamonError" ? error.errno : "", "EINVAL")
      }
    }).pipe(Effect.scoped))

  it.live("a port in use: the layer fails with the ServeError of the bind", () =>
    Effect.gen(function*() {
      const taken = Number(new URL(yield* Endpoint.url).port)
      const error = yield* Effect.flip(Layer.build(serverLayer({ port: taken }, "virtual", thread)))
      assert.strictEqual(error._tag, "ServeError")
      const cause = error._tag === "ServeError" ? error.cause : undefined
      assert.include(cause instanceof Error ? cause.message : "", "EADDRINUSE")
    }).pipe(Effect.scoped, Effect.provide(serverLayer({}, "virtual", thread))))

  it.live("allowRemote: a wildcard bind serves address literals and localhost, refuses other names", () =>
    Effect.gen(function*() {
      const p = yield* port
      assert.strictEqual((yield* raw(p, "GET", "/metrics", `Host: 127.0.0.1:${p}\r\n`)).status, 200)
      assert.strictEqual((yield* raw(p, "GET", "/metrics", `Host: 10.9.8.7:${p}\r\n`)).status, 200)
      assert.strictEqual((yield* raw(p, "GET", "/metrics", `Host: localhost:${p}\r\n`)).status, 200)
      assert.strictEqual((yield* raw(p, "GET", "/metrics", `Host: rebind.evil.example:${p}\r\n`)).status, 403)
    }).pipe(Effect.provide(serverLayer({ host: "0.0.0.0", allowRemote: true }, "virtual", thread))))

  it.live("listings: bounded, paged with offset/limit and X-Total-Count; HEAD answers without a body", () =>
    Effect.gen(function*() {
      const p = yield* port
      const ours = `Host: 127.0.0.1:${p}\r\n`
      yield* putAll([["kdamonds/nr_kdamonds", "4"]])
      const refused = yield* raw(p, "GET", "/admin/kdamonds/", ours)
      assert.deepStrictEqual([refused.status, errnoOf(refused)], [413, "E2BIG"])
      const first = yield* raw(p, "GET", "/admin/kdamonds/?offset=0&limit=3", ours)
      assert.deepStrictEqual(JSON.parse(bodyOf(first)), ["nr_kdamonds", "0", "1"])
      assert.strictEqual(headerOf(first, "x-total-count"), "5")
      assert.deepStrictEqual(JSON.parse(bodyOf(yield* raw(p, "GET", "/admin/kdamonds/?offset=3", ours))), ["2", "3"])
      assert.deepStrictEqual(JSON.parse((yield* get("kdamonds/0/")).text), ["state", "pid", "refresh_ms", "contexts"])

      const head = yield* rawExchange(p, `HEAD /admin/kdamonds/nr_kdamonds HTTP/1.1\r\n${ours}\r\n`, {
        untilText: (t) => t.includes("\r\n\r\n"),
        waitMs: 3000
      })
      assert.strictEqual(head.status, 200)
      assert.strictEqual(bodyOf(head), "")
    }).pipe(Effect.provide(serverLayer({ maxListingEntries: 4 }, "virtual", thread))))

  it.live("a 1 MiB bad value: 400 with the message cut to a bounded length; one byte more is 413", () =>
    Effect.gen(function*() {
      const p = yield* port
      const ours = `Host: 127.0.0.1:${p}\r\n`
      for (const value of ["x".repeat(1 << 20), "9".repeat(1 << 20)]) {
        const r = yield* raw(p, "PUT", "/admin/kdamonds/nr_kdamonds", ours, value)
        assert.strictEqual(r.status, 400)
        const message = (JSON.parse(bodyOf(r)) as { readonly message: string }).message
        assert.isBelow(message.length, 1200)
        assert.match(message, /\(\d+ more characters\)/)
      }
      const over = yield* raw(p, "PUT", "/admin/kdamonds/nr_kdamonds", ours, "1".repeat((1 << 20) + 1))
      assert.deepStrictEqual([over.status, errnoOf(over)], [413, "EFBIG"])
      assert.strictEqual((yield* get("kdamonds/nr_kdamonds")).text, "0\n")
    }).pipe(Effect.provide(serverLayer({}, "virtual", thread))))
})
