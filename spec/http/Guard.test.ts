/**
 * The pure parts of the endpoint's defences: which `Host`/`Origin` names the endpoint (DNS
 * rebinding), the request guard's order and answers, the bearer token's rules and constant-time
 * comparison, the token file, the checked options, and bounded listings.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { chmodSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { makeRng } from "../../src/core/Rng.ts"
import * as BearerToken from "../../src/http/BearerToken.ts"
import * as EndpointConfig from "../../src/http/EndpointConfig.ts"
import * as HostRules from "../../src/http/HostRules.ts"
import * as Listing from "../../src/http/Listing.ts"
import * as RequestGuard from "../../src/http/RequestGuard.ts"
import type { DamonError } from "../../src/model/DamonError.ts"
import { testTempDir } from "../support/tempDir.ts"

const failure = <A>(r: Result.Result<A, DamonError>): DamonError => {
  if (Result.isSuccess(r)) return assert.fail(`expected a failure, got ${JSON.stringify(r.success)}`)
  return r.failure
}

describe("HostRules", () => {
  it("ipLiteral / isLoopback / isWildcard", () => {
    assert.strictEqual(HostRules.ipLiteral("127.0.0.1"), "127.0.0.1")
    assert.strictEqual(HostRules.ipLiteral("[::1]"), "::1")
    assert.strictEqual(HostRules.ipLiteral("::FFFF:127.0.0.1"), "::ffff:7f00:1")
    assert.strictEqual(HostRules.ipLiteral("0:0:0:0:0:0:0:1"), "::1")
    for (const bad of ["256.1.1.1", "1.2.3", "localhost", "", "[::1", "1.2.3.4.5", "::g"]) {
      assert.isUndefined(HostRules.ipLiteral(bad), bad)
    }
    for (const lo of ["127.0.0.1", "127.255.0.9", "::1", "::ffff:7f00:1"]) assert.isTrue(HostRules.isLoopback(lo), lo)
    for (const no of ["10.0.0.1", "0.0.0.0", "::", "::ffff:a00:1", "128.0.0.1"]) assert.isFalse(HostRules.isLoopback(no), no)
    assert.isTrue(HostRules.isWildcard("0.0.0.0") && HostRules.isWildcard("::"))
  })

  it("a loopback bind: localhost and the bound address with the bound port, nothing else", () => {
    const rules = HostRules.rulesFor("127.0.0.1", 8080)
    for (const ok of ["127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080", " localhost:8080 "]) {
      assert.isTrue(HostRules.acceptsHost(rules, ok), ok)
    }
    const refused = [
      "127.0.0.1:8081",
      "127.0.0.1",
      "evil.example:8080",
      "localhost.:8080",
      "127.0.0.2:8080",
      "[::1]:8080",
      "user@localhost:8080",
      "localhost:8080/x",
      "localhost:8080?",
      "",
      "localhost:80800",
      "local host:8080"
    ]
    for (const bad of refused) assert.isFalse(HostRules.acceptsHost(rules, bad), bad)
    // port 80 may be left out
    assert.isTrue(HostRules.acceptsHost(HostRules.rulesFor("127.0.0.1", 80), "localhost"))
    // binding localhost accepts both loopback literals
    const local = HostRules.rulesFor("localhost", 9000)
    for (const ok of ["localhost:9000", "127.0.0.1:9000", "[::1]:9000"]) assert.isTrue(HostRules.acceptsHost(local, ok), ok)
  })

  it("a wildcard bind accepts any address literal, and names only when listed", () => {
    const rules = HostRules.rulesFor("0.0.0.0", 8080, ["damon.example"])
    for (const ok of ["192.168.1.5:8080", "[fe80::1]:8080", "localhost:8080", "DAMON.example:8080"]) {
      assert.isTrue(HostRules.acceptsHost(rules, ok), ok)
    }
    for (const bad of ["rebind.evil.example:8080", "192.168.1.5:8081"]) assert.isFalse(HostRules.acceptsHost(rules, bad), bad)
  })

  it("acceptsOrigin: only http://<accepted host>:<port>", () => {
    const rules = HostRules.rulesFor("127.0.0.1", 8080)
    assert.isTrue(HostRules.acceptsOrigin(rules, "http://localhost:8080"))
    assert.isTrue(HostRules.acceptsOrigin(rules, "http://127.0.0.1:8080"))
    for (const bad of ["null", "https://localhost:8080", "http://evil.example:8080", "http://localhost:8080/", "http://localhost:3000", "file://", ""]) {
      assert.isFalse(HostRules.acceptsOrigin(rules, bad), bad)
    }
  })

  it("any Host value (seeded): never throws; accepted only if it names localhost or the bound address", () => {
    const rules = HostRules.rulesFor("127.0.0.1", 8080)
    const rng = makeRng(7)
    const alphabet = "lLocahst127.0:8[]@/ ?#%\u0000\u00e9x-"
    for (let i = 0; i < 5000; i++) {
      const n = rng.rand(0, 24)
      let host = ""
      for (let j = 0; j < n; j++) host += alphabet[rng.rand(0, alphabet.length)]
      if (HostRules.acceptsHost(rules, host)) {
        const url = new URL(`http://${host.trim()}/`)
        assert.include(["localhost", "127.0.0.1"], url.hostname, host)
        assert.strictEqual(url.port, "8080", host)
      }
    }
  })
})

describe("RequestGuard", () => {
  const hosts = HostRules.rulesFor("127.0.0.1", 8080)
  const token = "s3cret-token-0123456789"
  const open: RequestGuard.GuardConfig = { hosts, tokenMatches: undefined }
  const locked: RequestGuard.GuardConfig = { hosts, tokenMatches: BearerToken.matcher(token) }
  const req = (headers: Record<string, string>, method = "GET") => ({ method, headers })
  const status = (r: RequestGuard.Refusal | undefined) => r?.status

  it("Host, then Origin, then Sec-Fetch-Site, then the token, then OPTIONS", () => {
    const host = { host: "127.0.0.1:8080" }
    assert.isUndefined(RequestGuard.check(req(host), open))
    assert.strictEqual(status(RequestGuard.check(req({}), open)), 400)
    const rebound = RequestGuard.check(req({ host: "rebind.evil.example:8080" }), open)!
    assert.deepStrictEqual([rebound.status, rebound.errno], [403, "EACCES"])
    assert.include(rebound.message, "rebind.evil.example:8080")
    assert.strictEqual(status(RequestGuard.check(req({ ...host, origin: "http://evil.example" }), open)), 403)
    assert.strictEqual(status(RequestGuard.check(req({ ...host, origin: "null" }), open)), 403)
    assert.isUndefined(RequestGuard.check(req({ ...host, origin: "http://localhost:8080" }), open))
    for (const site of ["cross-site", "same-site"]) {
      assert.strictEqual(status(RequestGuard.check(req({ ...host, "sec-fetch-site": site }), open)), 403, site)
    }
    for (const site of ["none", "same-origin"]) {
      assert.isUndefined(RequestGuard.check(req({ ...host, "sec-fetch-site": site }), open), site)
    }
    const preflight = RequestGuard.check(req(host, "OPTIONS"), open)!
    assert.deepStrictEqual([preflight.status, preflight.headers], [405, { allow: "GET, PUT" }])
    // a real preflight carries a foreign Origin: refused before the method is looked at
    assert.strictEqual(status(RequestGuard.check(req({ ...host, origin: "http://evil.example" }, "OPTIONS"), open)), 403)
    // a huge header value is not echoed whole
    assert.isBelow(RequestGuard.check(req({ host: "x".repeat(100_000) }), open)!.message.length, 300)
  })

  it("with a token: 401 with WWW-Authenticate unless Authorization: Bearer <token>", () => {
    const host = { host: "localhost:8080" }
    const missing = RequestGuard.check(req(host), locked)!
    assert.deepStrictEqual([missing.status, missing.headers["www-authenticate"]], [401, "Bearer realm=\"effect-damon\""])
    assert.strictEqual(status(RequestGuard.check(req({ ...host, authorization: `Bearer ${token}x` }), locked)), 401)
    assert.strictEqual(status(RequestGuard.check(req({ ...host, authorization: `Basic ${token}` }), locked)), 401)
    assert.isUndefined(RequestGuard.check(req({ ...host, authorization: `Bearer ${token}` }), locked))
    assert.isUndefined(RequestGuard.check(req({ ...host, authorization: `bearer ${token}` }), locked))
    // the Host check still comes first: a token does not make a rebound request acceptable
    const both = { host: "evil.example:8080", authorization: `Bearer ${token}` }
    assert.strictEqual(status(RequestGuard.check(req(both), locked)), 403)
    assert.notInclude(missing.message, token)
  })

  it("bearerToken parses the header", () => {
    assert.strictEqual(RequestGuard.bearerToken("Bearer abc"), "abc")
    assert.strictEqual(RequestGuard.bearerToken("BEARER   abc "), "abc")
    assert.isUndefined(RequestGuard.bearerToken("Bearer"))
    assert.isUndefined(RequestGuard.bearerToken("Bearer a b"))
    assert.isUndefined(RequestGuard.bearerToken(undefined))
  })
})

describe("BearerToken", () => {
  it("checkToken: length and characters, never showing the token", () => {
    assert.isTrue(Result.isSuccess(BearerToken.checkToken("token", "A-Za-z0.9_~+/tok==")))
    const short = failure(BearerToken.checkToken("token", "short-secret"))
    assert.include(short.message, "16 to 1024 characters")
    assert.notInclude(short.message, "short-secret")
    const spaced = failure(BearerToken.checkToken("token", "a secret with spaces"))
    assert.notInclude(spaced.message, "secret")
    assert.isTrue(Result.isFailure(BearerToken.checkToken("token", "x".repeat(1025))))
  })

  it("matcher: equal or not, whatever the lengths", () => {
    const matches = BearerToken.matcher("0123456789abcdef")
    assert.isTrue(matches("0123456789abcdef"))
    for (const other of ["0123456789abcdeF", "0123456789abcde", "0123456789abcdef0", ""]) assert.isFalse(matches(other), other)
  })

  it.effect("readTokenFile: the content without its newline; refused when others may read it or it is missing", () =>
    Effect.gen(function*() {
      const dir = testTempDir("damon-token-")
      const file = join(dir, "token")
      writeFileSync(file, "0123456789abcdef-token\n")
      chmodSync(file, 0o600)
      assert.strictEqual(yield* BearerToken.readTokenFile(file), "0123456789abcdef-token")
      chmodSync(file, 0o644)
      const open = yield* Effect.flip(BearerToken.readTokenFile(file))
      assert.include(open.message, "accessible to other users (mode 644)")
      assert.notInclude(open.message, "0123456789abcdef-token")
      const missing = yield* Effect.flip(BearerToken.readTokenFile(join(dir, "none")))
      assert.include(missing.message, "token-file")
    }))
})

describe("EndpointConfig", () => {
  it("defaults: loopback, ephemeral port, no token, the documented limits", () => {
    const config = Result.getOrThrow(EndpointConfig.resolve())
    assert.deepStrictEqual([config.host, config.port, config.token, config.maxBodyBytes], ["127.0.0.1", 0, undefined, 1 << 20])
    assert.strictEqual(config.limits.maxConnections, 256)
  })

  it("a bad port, host, token or limit is an InvalidArgument naming the option", () => {
    for (const port of [70000, -1, 1.5, Number.NaN, 65536]) {
      const e = failure(EndpointConfig.resolve({ port }))
      assert.strictEqual(e.errno, "EINVAL")
      assert.match(e.message, /^port: .* is invalid: an integer from 0 to 65535/)
    }
    for (const host of ["0.0.0.0", "::", "10.1.2.3", "example.com", "::ffff:a00:1"]) {
      const e = failure(EndpointConfig.resolve({ host }))
      assert.include(e.message, "allowRemote (--allow-remote)", host)
    }
    for (const host of ["0.0.0.0", "::", "10.1.2.3", "example.com"]) {
      assert.isTrue(Result.isSuccess(EndpointConfig.resolve({ host, allowRemote: true })), host)
    }
    for (const host of ["127.0.0.1", "127.9.9.9", "::1", "localhost"]) {
      assert.isTrue(Result.isSuccess(EndpointConfig.resolve({ host })), host)
    }
    assert.include(failure(EndpointConfig.resolve({ host: "" })).message, "host")
    assert.include(failure(EndpointConfig.resolve({ token: "short" })).message, "token")
    assert.match(failure(EndpointConfig.resolve({ limits: { maxConnections: 0 } })).message, /^limits\.maxConnections: 0/)
    assert.match(failure(EndpointConfig.resolve({ limits: { idleTimeoutMs: 1e12 } })).message, /^limits\.idleTimeoutMs/)
    assert.include(
      failure(EndpointConfig.resolve({ limits: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } })).message,
      "at most limits.requestTimeoutMs"
    )
    assert.include(failure(EndpointConfig.resolve({ allowedHosts: ["a:80"] })).message, "allowedHosts")
    assert.include(failure(EndpointConfig.resolve({ maxBodyBytes: 0 })).message, "maxBodyBytes")
  })

  it("hostile options (seeded): a config or an InvalidArgument with a bounded message, never a throw", () => {
    const rng = makeRng(1313)
    const throwing = new Proxy({}, {
      get: () => {
        throw new Error("boom")
      },
      has: () => {
        throw new Error("boom")
      }
    })
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    const getter = Object.defineProperty({}, "port", {
      get: () => {
        throw new TypeError("no port for you")
      },
      enumerable: true
    })
    const hostile: ReadonlyArray<unknown> = [
      undefined,
      null,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      -0,
      2 ** 53,
      -1,
      70000,
      1.5,
      10n ** 30n,
      Symbol("s"),
      () => 1,
      "x".repeat(1 << 20),
      "",
      "127.0.0.1",
      "0.0.0.0",
      true,
      [],
      ["a:b"],
      [Symbol("h")],
      {},
      cyclic,
      throwing,
      revoked.proxy,
      getter,
      Array.from({ length: 100 }, () => "h")
    ]
    const fields = ["port", "host", "allowRemote", "allowedHosts", "token", "maxBodyBytes", "maxListingEntries", "limits", "logRequests"]
    const pick = () => hostile[rng.rand(0, hostile.length)]
    let failures = 0
    for (let i = 0; i < 3000; i++) {
      const kind = rng.rand(0, 10)
      const options: unknown = kind === 0
        ? pick()
        : kind === 1
        ? { limits: Object.fromEntries(["maxConnections", "idleTimeoutMs", "shutdownGraceMs"].map((k) => [k, pick()])) }
        : Object.fromEntries(fields.filter(() => rng.rand(0, 3) === 0).map((f) => [f, pick()]))
      let r: Result.Result<EndpointConfig.EndpointConfig, DamonError>
      try {
        r = EndpointConfig.resolve(options as EndpointConfig.EndpointOptions)
      } catch (e) {
        return assert.fail(`resolve threw ${String(e)}`)
      }
      if (Result.isFailure(r)) {
        failures++
        assert.strictEqual(r.failure.errno, "EINVAL")
        assert.isBelow(r.failure.message.length, 600, r.failure.message.slice(0, 200))
      }
    }
    assert.isAbove(failures, 1000)
  })
})

describe("Listing", () => {
  const names = Array.from({ length: 25 }, (_, i) => String(i))

  it("no paging: the whole directory up to the bound, 413 E2BIG beyond", () => {
    assert.deepStrictEqual(Result.getOrThrow(Listing.page("d", names, "", 25)), { names, total: 25 })
    const refused = Listing.page("kdamonds", names, "", 10)
    assert.isTrue(Result.isFailure(refused))
    if (Result.isFailure(refused)) {
      assert.deepStrictEqual([refused.failure.status, refused.failure.errno], [413, "E2BIG"])
      assert.include(refused.failure.message, "kdamonds/: 25 entries")
      assert.include(refused.failure.message, "?offset=N&limit=M")
    }
  })

  it("offset and limit page through it; bad values are 400 EINVAL", () => {
    const at = (q: string) => Result.getOrThrow(Listing.page("d", names, q, 10)).names
    assert.deepStrictEqual(at("offset=0&limit=3"), ["0", "1", "2"])
    assert.deepStrictEqual(at("offset=20"), ["20", "21", "22", "23", "24"])
    assert.deepStrictEqual(at("limit=2&x=1"), ["0", "1"])
    assert.deepStrictEqual(at("offset=99"), [])
    for (const q of ["limit=0", "limit=11", "offset=-1", "offset=1e3", "limit=abc", "offset=1&offset=2", "limit="]) {
      const r = Listing.page("d", names, q, 10)
      assert.isTrue(Result.isFailure(r) && r.failure.status === 400 && r.failure.errno === "EINVAL", q)
    }
    assert.strictEqual(Listing.queryOf("/admin/kdamonds/?offset=1#frag"), "offset=1")
    assert.strictEqual(Listing.queryOf("/admin/kdamonds/"), "")
  })
})
