/**
 * The HTTP endpoint over loopback, driven with effect's fetch-based HttpClient: a whole session
 * in the style of the kernel's DAMON selftests (list, build a context with a scheme, `on`, wait,
 * update and read stats, tried regions, `commit`, metrics, `off`), and the error cases with
 * their status codes and JSON bodies; served in the tree's thread and from a worker thread, the
 * same contract. The kdamonds run in virtual time (seed 1); assertions are
 * on relations that hold whatever the interleaving with the real-time HTTP traffic.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Endpoint from "../../src/http/HttpEndpoint.ts"
import { contentType as prometheusContentType } from "../../src/http/Prometheus.ts"
import { errorOf, get, matchAll, PID, put, putAll, request, sample, serverLayer, threads } from "./support.ts"

const K = "kdamonds/0"
const CTX = `${K}/contexts/0`
const S0 = `${CTX}/schemes/0`
const K0 = "kdamond=\"0\""

const metrics = Effect.map(request("GET", "/metrics"), (r) => r.text)

/** Polls `/metrics` until kdamond 0 has done `n` aggregations (real time passes meanwhile). */
const waitAggregations = (n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2000; i++) {
      if ((sample(yield* metrics, "damon_kdamond_aggregations_total", K0) ?? 0) >= n) return
      yield* Effect.sleep("5 millis")
    }
    return yield* Effect.die(new Error(`kdamond 0 did not reach ${n} aggregations`))
  })

const num = (text: string): number => {
  assert.match(text, /^\d+\n$/)
  return Number(text)
}

/** One kdamond, one context monitoring pid 42 with vaddr, one `stat` scheme matching every region. */
const buildContext = (action: string) =>
  putAll([
    ["kdamonds/nr_kdamonds", "1"],
    [`${K}/contexts/nr_contexts`, "1"],
    [`${CTX}/operations`, "vaddr"],
    [`${CTX}/targets/nr_targets`, "1"],
    [`${CTX}/targets/0/pid_target`, String(PID)],
    [`${CTX}/schemes/nr_schemes`, "1"],
    [`${S0}/action`, action],
    ...matchAll(S0)
  ])

describe.each(threads)("HTTP endpoint (HTTP in the %s thread)", (thread) => {
  it.live("a whole session over loopback: build, on, stats, tried regions, commit, metrics, off", () =>
    Effect.gen(function*() {
      // The empty tree: listings are JSON arrays of entry names, files are the kernel's text.
      const root = yield* get("")
      assert.strictEqual(root.status, 200)
      assert.include(root.contentType ?? "", "application/json")
      assert.deepStrictEqual(JSON.parse(root.text), ["kdamonds"])
      assert.deepStrictEqual(JSON.parse((yield* get("kdamonds/")).text), ["nr_kdamonds"])
      const nr = yield* get("kdamonds/nr_kdamonds")
      assert.strictEqual(nr.status, 200)
      assert.include(nr.contentType ?? "", "text/plain")
      assert.strictEqual(nr.text, "0\n")

      // nr_kdamonds creates kdamonds/0/ with the kernel's files
      const created = yield* put("kdamonds/nr_kdamonds", "1")
      assert.deepStrictEqual([created.status, created.text], [200, ""])
      assert.strictEqual((yield* get("kdamonds/nr_kdamonds")).text, "1\n")
      assert.deepStrictEqual(JSON.parse((yield* get("kdamonds/")).text), ["nr_kdamonds", "0"])
      assert.deepStrictEqual(JSON.parse((yield* get(`${K}/`)).text), ["state", "pid", "refresh_ms", "contexts"])
      assert.strictEqual((yield* get(`${K}/state`)).text, "off\n")
      assert.strictEqual((yield* get(`${K}/pid`)).text, "-1\n")

      // a context with a scheme, written file by file
      yield* buildContext("stat")
      assert.strictEqual((yield* get(`${CTX}/operations`)).text, "vaddr\n")
      assert.strictEqual((yield* get(`${S0}/access_pattern/sz/max`)).text, "18446744073709551615\n")
      assert.deepStrictEqual(JSON.parse((yield* get(`${CTX}/schemes/`)).text), ["nr_schemes", "0"])

      // `on` as `echo on > state` writes it (trailing newline)
      assert.strictEqual((yield* put(`${K}/state`, "on\n")).status, 200)
      assert.strictEqual((yield* get(`${K}/state`)).text, "on\n")
      assert.isAbove(num((yield* get(`${K}/pid`)).text), 0)

      yield* waitAggregations(3)

      // update_schemes_stats copies the running scheme's stats into the tree
      assert.strictEqual((yield* put(`${K}/state`, "update_schemes_stats")).status, 200)
      const nrTried = num((yield* get(`${S0}/stats/nr_tried`)).text)
      const szTried = num((yield* get(`${S0}/stats/sz_tried`)).text)
      assert.isAbove(nrTried, 0)
      assert.isAbove(szTried, 0)
      assert.strictEqual(num((yield* get(`${S0}/stats/nr_applied`)).text), 0) // DAMOS_STAT applies nothing
      assert.isAbove(num((yield* get(`${S0}/stats/nr_snapshots`)).text), 0)

      // update_schemes_tried_regions: one damosWalk; total_bytes is the sum of the regions listed
      assert.strictEqual((yield* put(`${K}/state`, "update_schemes_tried_regions")).status, 200)
      const tried = JSON.parse((yield* get(`${S0}/tried_regions/`)).text) as Array<string>
      assert.strictEqual(tried[0], "total_bytes")
      const regions = tried.slice(1)
      assert.isAbove(regions.length, 0)
      assert.deepStrictEqual(regions, regions.map((_, i) => String(i)))
      assert.deepStrictEqual(
        JSON.parse((yield* get(`${S0}/tried_regions/0/`)).text),
        ["start", "end", "nr_accesses", "age", "sz_filter_passed"]
      )
      let sum = 0
      let lastEnd = 0
      for (const r of regions) {
        const start = num((yield* get(`${S0}/tried_regions/${r}/start`)).text)
        const end = num((yield* get(`${S0}/tried_regions/${r}/end`)).text)
        assert.isTrue(start < end && start >= lastEnd, `region ${r}: [${start}, ${end}) after ${lastEnd}`)
        lastEnd = end
        sum += end - start
      }
      assert.strictEqual(num((yield* get(`${S0}/tried_regions/total_bytes`)).text), sum)

      // commit a change: the running scheme's action becomes pageout; stats are kept
      assert.strictEqual((yield* put(`${S0}/action`, "pageout")).status, 200)
      assert.strictEqual((yield* put(`${K}/state`, "commit")).status, 200)

      // metrics: every kdamond series, and the scheme series with the committed action
      const m = yield* request("GET", "/metrics")
      assert.strictEqual(m.status, 200)
      assert.strictEqual(m.contentType, prometheusContentType)
      const text = m.text
      assert.include(text, "# TYPE damon_kdamond_running gauge\n")
      assert.include(text, "# TYPE damon_kdamond_samples_total counter\n")
      assert.include(text, "# TYPE damon_kdamond_damon_call_latency_seconds histogram\n")
      assert.include(text, "# TYPE damon_scheme_nr_tried_total counter\n")
      assert.strictEqual(sample(text, "damon_kdamond_running", K0), 1)
      const samples = sample(text, "damon_kdamond_samples_total", K0)!
      const aggregations = sample(text, "damon_kdamond_aggregations_total", K0)!
      assert.isAtLeast(aggregations, 3)
      assert.isAtLeast(samples, aggregations)
      assert.isAbove(sample(text, "damon_kdamond_nr_regions", K0)!, 0)
      const served = sample(text, "damon_kdamond_damon_calls_served_total", K0)!
      assert.isAtLeast(served, 2) // update_schemes_stats, commit, and the scrapes
      assert.strictEqual(sample(text, "damon_kdamond_damon_call_latency_seconds_count", K0), served)
      assert.strictEqual(sample(text, "damon_kdamond_damon_call_latency_seconds_bucket", `${K0},le="+Inf"`), served)
      assert.strictEqual(sample(text, "damon_kdamond_damon_calls_canceled_total", K0), 0)
      assert.strictEqual(sample(text, "damon_kdamond_walks_completed_total", K0), 1)
      assert.strictEqual(sample(text, "damon_kdamond_walks_canceled_total", K0), 0)
      const pageout = `${K0},scheme="0",action="pageout"`
      assert.isUndefined(sample(text, "damon_scheme_nr_tried_total", `${K0},scheme="0",action="stat"`))
      assert.isAtLeast(sample(text, "damon_scheme_nr_tried_total", pageout)!, nrTried)
      assert.isAtLeast(sample(text, "damon_scheme_sz_tried_bytes_total", pageout)!, szTried)
      const others = ["nr_applied_total", "sz_applied_bytes_total", "sz_ops_filter_passed_bytes_total", "qt_exceeds_total"]
      for (const name of others) {
        assert.isAtLeast(sample(text, `damon_scheme_${name}`, pageout)!, 0, name)
      }
      assert.isAbove(sample(text, "damon_scheme_nr_snapshots_total", pageout)!, 0)
      assert.strictEqual(sample(text, "damon_scheme_effective_quota_bytes", pageout), 0) // no quota set

      // off: the kdamond stops, its counters stay, its scheme series go
      assert.strictEqual((yield* put(`${K}/state`, "off")).status, 200)
      assert.strictEqual((yield* get(`${K}/state`)).text, "off\n")
      const after = yield* metrics
      assert.strictEqual(sample(after, "damon_kdamond_running", K0), 0)
      assert.isAtLeast(sample(after, "damon_kdamond_samples_total", K0)!, samples)
      assert.notInclude(after, "damon_scheme_")
    }).pipe(Effect.provide(serverLayer({}, "virtual", thread))))

  it.live("errors: status codes and { errno, message } bodies", () =>
    Effect.gen(function*() {
      yield* buildContext("stat")

      // unknown keyword -> 400 EINVAL, naming the file and the value
      const bad = errorOf(yield* put(`${K}/state`, "bogus"))
      assert.deepStrictEqual([bad.status, bad.errno], [400, "EINVAL"])
      assert.include(bad.message, `${K}/state`)
      assert.include(bad.message, "bogus")
      const r = yield* put(`${K}/state`, "bogus")
      assert.include(r.contentType ?? "", "application/json")
      // a bad number -> 400 EINVAL; out of range -> 400 ERANGE
      const sampleUs = `${CTX}/monitoring_attrs/intervals/sample_us`
      assert.deepStrictEqual(pick(errorOf(yield* put(sampleUs, "abc"))), [400, "EINVAL"])
      assert.deepStrictEqual(pick(errorOf(yield* put(sampleUs, "18446744073709551616"))), [400, "ERANGE"])

      // write to a read-only file -> 403 EACCES
      assert.deepStrictEqual(pick(errorOf(yield* put(`${K}/pid`, "1"))), [403, "EACCES"])
      assert.deepStrictEqual(pick(errorOf(yield* put(`${CTX}/avail_operations`, "vaddr"))), [403, "EACCES"])

      // second on -> 409 EBUSY; nr_kdamonds while one runs -> 409 EBUSY
      assert.strictEqual((yield* put(`${K}/state`, "on")).status, 200)
      const second = errorOf(yield* put(`${K}/state`, "on"))
      assert.deepStrictEqual(pick(second), [409, "EBUSY"])
      assert.include(second.message, "already running")
      assert.deepStrictEqual(pick(errorOf(yield* put("kdamonds/nr_kdamonds", "2"))), [409, "EBUSY"])
      // off on a stopped kdamond -> 403 EPERM; a copy command on it -> 409 ECANCELED
      assert.strictEqual((yield* put(`${K}/state`, "off")).status, 200)
      assert.deepStrictEqual(pick(errorOf(yield* put(`${K}/state`, "off"))), [403, "EPERM"])
      assert.deepStrictEqual(pick(errorOf(yield* put(`${K}/state`, "update_schemes_stats"))), [409, "ECANCELED"])

      // a target pid that is not a process of the machine -> 400 EINVAL at on
      assert.strictEqual((yield* put(`${CTX}/targets/0/pid_target`, "7")).status, 200)
      assert.deepStrictEqual(pick(errorOf(yield* put(`${K}/state`, "on"))), [400, "EINVAL"])
      assert.strictEqual((yield* get(`${K}/state`)).text, "off\n")

      // traversal and absolute paths -> 404 ENOENT before the tree is asked
      const outside = ["kdamonds/..%2F..%2Fetc/passwd", "%2Fetc/passwd", "/etc/passwd", "kdamonds%5C..%5C..", "kdamonds/%2e%2e%2f"]
      for (const p of outside) {
        const e = errorOf(yield* get(p))
        assert.deepStrictEqual(pick(e), [404, "ENOENT"], p)
        assert.deepStrictEqual(pick(errorOf(yield* put(p, "1"))), [404, "ENOENT"], p)
      }
      // no such file -> 404 ENOENT from the tree
      assert.deepStrictEqual(pick(errorOf(yield* get("kdamonds/7/state"))), [404, "ENOENT"])
      assert.deepStrictEqual(pick(errorOf(yield* put("kdamonds/0/nope", "1"))), [404, "ENOENT"])

      // directories: listing JSON with the slash; the tree's EISDIR/ENOTDIR without/with it
      const listing = yield* get(`${K}/contexts/`)
      assert.strictEqual(listing.status, 200)
      assert.include(listing.contentType ?? "", "application/json")
      assert.deepStrictEqual(JSON.parse(listing.text), ["nr_contexts", "0"])
      assert.deepStrictEqual(pick(errorOf(yield* get(`${K}/contexts`))), [400, "EISDIR"])
      assert.deepStrictEqual(pick(errorOf(yield* get(`${K}/state/`))), [400, "ENOTDIR"])
      assert.deepStrictEqual(pick(errorOf(yield* put(`${K}/state/`, "on"))), [400, "ENOTDIR"])
      assert.deepStrictEqual(pick(errorOf(yield* put(`${K}/contexts/`, "1"))), [400, "EISDIR"])
      assert.deepStrictEqual(pick(errorOf(yield* put(`${K}/contexts`, "1"))), [400, "EISDIR"])
      // the root without the slash
      assert.deepStrictEqual(pick(errorOf(yield* request("GET", "/admin"))), [400, "EISDIR"])

      // other methods -> 405 with Allow
      const del = yield* request("DELETE", `/admin/${K}/state`)
      assert.deepStrictEqual(pick(errorOf(del)), [405, "EOPNOTSUPP"])
      assert.strictEqual(del.headers["allow"], "GET, PUT")
      // nothing changed by the failures
      assert.strictEqual((yield* get("kdamonds/nr_kdamonds")).text, "1\n")
      assert.strictEqual((yield* get(`${S0}/action`)).text, "stat\n")
    }).pipe(Effect.provide(serverLayer({}, "virtual", thread))))

  it.live("a body above the limit -> 413 EFBIG, and nothing is written", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* put("kdamonds/nr_kdamonds", "1")).status, 200)
      assert.deepStrictEqual(pick(errorOf(yield* put("kdamonds/nr_kdamonds", `2${" ".repeat(64)}`))), [413, "EFBIG"])
      assert.strictEqual((yield* get("kdamonds/nr_kdamonds")).text, "1\n")
    }).pipe(Effect.provide(serverLayer({ maxBodyBytes: 16 }, "virtual", thread))))

  it.live("binds 127.0.0.1 by default; unknown routes are 404; no kdamond, empty exposition", () =>
    Effect.gen(function*() {
      assert.match(yield* Endpoint.url, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.strictEqual((yield* request("GET", "/nothing")).status, 404)
      const m = yield* request("GET", "/metrics")
      assert.deepStrictEqual([m.status, m.text], [200, ""])
    }).pipe(Effect.provide(serverLayer({}, "virtual", thread))))
})

const pick = (e: { readonly status: number; readonly errno: string }) => [e.status, e.errno] as const
