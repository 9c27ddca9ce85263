/**
 * Each invariant checker on hand-written histories: it passes a history that keeps its guarantee
 * and names the invocation of one that breaks it.
 */
import { assert, describe, it } from "@effect/vitest"
import { type History, Invariants } from "effect-damon/testing"

type Draft = { readonly _tag: string } & Record<string, unknown>
const history = (...events: ReadonlyArray<Draft>): History.History => events.map((e, seq) => ({ ...e, seq })) as unknown as History.History

const invoke = (id: number, op: string, extra: Record<string, unknown> = {}): Draft => ({
  _tag: "Invoke", id, client: "c0", op, detail: "", atUs: 0, kdamond: 1, ...extra
})
const ok = (id: number, atUs = 0, value = ""): Draft => ({ _tag: "Complete", id, atUs, outcome: { _tag: "Ok", value } })
const failed = (id: number, reason: string): Draft => ({ _tag: "Complete", id, atUs: 0, outcome: { _tag: "Failed", reason, message: reason } })
const ended = (id: number, tag: string): Draft => ({ _tag: "Complete", id, atUs: 0, outcome: { _tag: tag, message: "boom" } })
const accepted = (id: number, atUs = 0): Draft => ({ _tag: "Accepted", id, atUs })
const view = (extra: Record<string, unknown> = {}) => ({ sis: 1, shape: "S0", inconsistent: [], schemes: [], ...extra })
const ran = (id: number, extra: Record<string, unknown> = {}): Draft => ({
  _tag: "Ran", id, kdamond: 1, atUs: 0, inOps: false, overlapped: false, view: view(), ...extra
})
const stopped = (leftovers: ReadonlyArray<string> = []): Draft => ({ _tag: "Stopped", kdamond: 1, atUs: 0, leftovers })

const check = (invariant: Invariants.Invariant, h: History.History, extra: Partial<Invariants.Run> = {}) =>
  invariant.check({ history: h, bounds: { promptUs: 1_000, aggregationUs: 5_000 }, finished: true, ...extra })

describe("invariants", () => {
  it("oneOutcome: exactly one completion, with an outcome the operation allows", () => {
    assert.deepStrictEqual(check(Invariants.oneOutcome, history(invoke(1, "damonCall"), ok(1), invoke(2, "damonCall"), failed(2, "Canceled"))), [])
    const bad = check(Invariants.oneOutcome, history(
      invoke(1, "damonCall"),
      invoke(2, "damonCall"), ok(2), ok(2),
      invoke(3, "damonCall"), failed(3, "Busy"),
      invoke(4, "damonCallRepeat"), ok(4),
      invoke(5, "damosWalk"), ended(5, "Abandoned"),
      invoke(6, "stop"), ended(6, "InterruptedByOther"),
      invoke(7, "commit"), ended(7, "Died"),
      invoke(8, "myOwnOp"), failed(8, "Whatever")
    ))
    assert.strictEqual(bad.length, 7)
    assert.match(bad[0]!, /^#1 .* completed 0 times/)
    assert.match(bad[1]!, /^#2 .* completed 2 times/)
    assert.match(bad[2]!, /#3 .* failed Busy .* which damonCall never returns/)
    assert.match(bad[3]!, /#4 .* a repeat call only ends by failing/)
    assert.match(bad[4]!, /#5 .* never completed/)
    assert.match(bad[5]!, /#6 .* interrupted by someone other than its caller/)
    assert.match(bad[6]!, /#7 .* died/)
  })

  it("fifo: calls of one serving point run in acceptance order", () => {
    const h = (order: ReadonlyArray<number>) => history(
      invoke(1, "damonCall", { at: "sample" }), accepted(1),
      invoke(2, "damonCall", { at: "sample" }), accepted(2),
      invoke(3, "damonCall", { at: "aggregation" }), accepted(3),
      ...order.map((id) => ran(id))
    )
    assert.deepStrictEqual(check(Invariants.fifo, h([3, 1, 2])), [])
    assert.match(check(Invariants.fifo, h([2, 1]))[0]!, /^#2 .* ran before #1/)
  })

  it("atMostOnce: a call runs once or never, as its outcome says", () => {
    assert.deepStrictEqual(check(Invariants.atMostOnce, history(invoke(1, "damonCall"), ran(1), ok(1), invoke(2, "damonCall"), failed(2, "Canceled"))), [])
    const bad = check(Invariants.atMostOnce, history(
      invoke(1, "damonCall"), ran(1), ran(1), ok(1),
      invoke(2, "damonCall"), ok(2),
      invoke(3, "damonCall"), ran(3), failed(3, "NotRunning")
    ))
    assert.deepStrictEqual(bad.map((m) => m.slice(0, 2)), ["#1", "#2", "#3"])
  })

  it("exclusive, noCrashes, consistentContext: what a function saw and did", () => {
    assert.deepStrictEqual(check(Invariants.exclusive, history(ran(1), { _tag: "Visit", id: 2, kdamond: 1, sis: 1, scheme: 0, start: 0, end: 1, inOps: false, overlapped: false })), [])
    assert.strictEqual(check(Invariants.exclusive, history(ran(1, { inOps: true }), ran(2, { overlapped: true }), { _tag: "Visit", id: 3, kdamond: 1, sis: 1, scheme: 0, start: 0, end: 1, inOps: true, overlapped: false })).length, 3)
    assert.deepStrictEqual(check(Invariants.noCrashes, history({ _tag: "Threw", id: 1, deliberate: true, message: "on purpose" })), [])
    assert.match(check(Invariants.noCrashes, history({ _tag: "Threw", id: 1, deliberate: false, message: "TypeError: x" }))[0]!, /#1 crashed: TypeError/)
    assert.match(check(Invariants.consistentContext, history(ran(4, { view: view({ inconsistent: ["target 0 region 2 overlaps the previous one"] }) })))[0]!, /#4 saw target 0 region 2 overlaps/)
  })

  it("boundedWaits: prompt and aggregation bounds, counted from the last commit applied meanwhile", () => {
    const call = (at: string, ranAt: number) => [invoke(1, "damonCall", { at }), accepted(1, 0), ran(1, { atUs: ranAt }), ok(1, ranAt)]
    assert.deepStrictEqual(check(Invariants.boundedWaits, history(...call("sample", 1_000))), [])
    assert.match(check(Invariants.boundedWaits, history(...call("loop", 1_001)))[0]!, /waited 1001 us to run \(bound 1000/)
    assert.deepStrictEqual(check(Invariants.boundedWaits, history(...call("aggregation", 5_000))), [])
    assert.strictEqual(check(Invariants.boundedWaits, history(...call("aggregation", 8_000))).length, 1)
    const committed = history(invoke(1, "damonCall", { at: "aggregation" }), accepted(1, 0), invoke(2, "commit"), ok(2, 4_000), ran(1, { atUs: 8_000 }), ok(1, 8_000))
    assert.deepStrictEqual(check(Invariants.boundedWaits, committed), [])
  })

  it("commitsAtomic: functions see the started or an applied config, never a mix or a refused one", () => {
    const h = (shape: string) => history(
      invoke(1, "start", { shape: "S0" }), ok(1),
      invoke(2, "commit", { shape: "S1" }), ok(2),
      invoke(3, "commit", { shape: "BAD" }), failed(3, "InvalidArgument"),
      ran(4, { view: view({ shape }) })
    )
    assert.deepStrictEqual(check(Invariants.commitsAtomic, h("S0")), [])
    assert.deepStrictEqual(check(Invariants.commitsAtomic, h("S1")), [])
    assert.match(check(Invariants.commitsAtomic, h("S0+S1"))[0]!, /#4 saw a context matching neither/)
    assert.match(check(Invariants.commitsAtomic, h("BAD"))[0]!, /#4 saw the config of refused commit #3/)
  })

  it("walkCoverage: a walk sees exactly the regions of the first pass of each scheme after it was accepted", () => {
    const tried = (sis: number, scheme: number, start: number): Draft => ({ _tag: "Tried", kdamond: 1, sis, scheme, start, end: start + 1 })
    const visit = (sis: number, scheme: number, start: number): Draft => ({ _tag: "Visit", id: 1, kdamond: 1, sis, scheme, start, end: start + 1, inOps: false, overlapped: false })
    const done = (sis: number, scheme: number): Draft => ({ _tag: "PassDone", kdamond: 1, sis, scheme })
    const walk = (...middle: ReadonlyArray<Draft>) => history(invoke(1, "damosWalk"), accepted(1), ...middle, ok(1, 0, "2"))
    const good = walk(tried(5, 0, 0), visit(5, 0, 0), tried(5, 0, 9), visit(5, 0, 9), done(5, 0), tried(15, 1, 3), visit(15, 1, 3), done(15, 1))
    assert.deepStrictEqual(check(Invariants.walkCoverage, good), [])
    assert.match(check(Invariants.walkCoverage, walk(tried(5, 0, 0), done(5, 0), done(15, 1)))[0]!, /saw 0 region\(s\) of scheme 0, but its first pass .* tried 1/)
    assert.match(check(Invariants.walkCoverage, walk(done(5, 0)))[0]!, /completed before scheme 1 finished an apply pass/)
    assert.match(check(Invariants.walkCoverage, walk(visit(5, 0, 0), done(5, 0), visit(10, 0, 0), done(15, 1)))[0]!, /scheme 0 in 2 passes/)
  })

  it("statsMonotonic: samples, scheme statistics and counters never go back", () => {
    const s = (nrTried: number) => [{ ident: 1, nrTried, szTried: 0, nrApplied: 0, szApplied: 0 }]
    const counters = (samples: number): Draft => ({ _tag: "Counters", id: 9, kdamond: 1, stats: { samples, aggregations: 0, callsServed: 0, callsCanceled: 0, walksCompleted: 0, walksCanceled: 0 } })
    assert.deepStrictEqual(check(Invariants.statsMonotonic, history(ran(1, { view: view({ sis: 1, schemes: s(1) }) }), ran(2, { view: view({ sis: 2, schemes: s(2) }) }), counters(1), counters(2))), [])
    const bad = check(Invariants.statsMonotonic, history(ran(1, { view: view({ sis: 3, schemes: s(5) }) }), ran(2, { view: view({ sis: 2, schemes: s(4) }) }), counters(3), counters(2)))
    assert.strictEqual(bad.length, 3)
  })

  it("nothingLeftBehind and terminates: every kdamond used stopped cleanly; the run ended", () => {
    assert.deepStrictEqual(check(Invariants.nothingLeftBehind, history(invoke(1, "damonCall"), ok(1), stopped())), [])
    assert.match(check(Invariants.nothingLeftBehind, history(invoke(1, "damonCall"), ok(1)))[0]!, /pid 1 never stopped/)
    assert.match(check(Invariants.nothingLeftBehind, history(invoke(1, "damonCall"), stopped(["a walk left installed"])))[0]!, /left behind a walk left installed/)
    assert.deepStrictEqual(check(Invariants.clientsFinish, history()), [])
    assert.match(check(Invariants.clientsFinish, history({ _tag: "ClientFailed", client: "c1", atUs: 0, message: "AssertionError: nope" }))[0]!, /client c1 failed: AssertionError: nope/)
    assert.deepStrictEqual(check(Invariants.terminates, history()), [])
    assert.strictEqual(check(Invariants.terminates, history(), { finished: false }).length, 1)
  })

  it("check runs them all and tags each violation with its invariant, causes first", () => {
    const v = Invariants.check({ history: history(invoke(1, "damonCall")), bounds: { promptUs: 1, aggregationUs: 1 }, finished: false })
    assert.deepStrictEqual(v.map((x) => x.invariant), ["oneOutcome", "nothingLeftBehind", "terminates"])
    assert.strictEqual(new Set(Invariants.all.map((i) => i.name)).size, Invariants.all.length)
    for (const i of Invariants.all) assert.isAbove(i.description.length, 20, i.name)
  })
})
