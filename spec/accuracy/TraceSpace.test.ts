/**
 * A trace as an address space: trace position to world time at the stated rate, accessed bits
 * since each `mkold`, instruction fetches optional, mappings from touched chunks with a lead,
 * exact truth, late records counted; and the reader as a world participant: ahead of world
 * time by a bounded amount, in a virtual world, with bad traces failing with the line number.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Result, Stream } from "effect"
import { Damon, Fvaddr, OpsRegistry, Rng, Vaddr, World } from "effect-damon"
import { LackeyTrace, PageTruth, TraceReplay, TraceSpace } from "effect-damon/accuracy"

const PAGE = 4096
const MiB = 2 ** 20
const enc = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Parses `text` and pushes everything into `trace`. */
const pushAll = (trace: TraceSpace.TraceSpace, text: string): void => {
  const p = LackeyTrace.make()
  assert.isUndefined(p.feed(enc(text), trace.push))
  assert.isUndefined(p.end(trace.push))
}

const make = (options: TraceSpace.TraceSpaceOptions) => Result.getOrThrow(TraceSpace.make(options))

describe("TraceSpace", () => {
  it("access k happens at startUs + k / rate: a sample sees exactly the accesses since its mkold", () => {
    const trace = make({ accessesPerUs: 2, startUs: 100, mapLeadRecords: 0 })
    // accesses at 100, 100.5, 101, 101.5 us to pages 1, 2, 3, 1
    pushAll(trace, " L 1000,4\n S 2000,4\n M 3000,4\nI  1000,2\n")
    const s = trace.space.sampler(Rng.makeRng(1))
    for (const p of [1, 2, 3]) s.mkold(1, p * PAGE, 100)
    assert.deepStrictEqual([1, 2, 3].map((p) => s.young(1, p * PAGE, 100)), [-1, -1, -1], "at 100 nothing has happened (nor been mapped)")
    assert.deepStrictEqual([1, 2, 3].map((p) => s.young(1, p * PAGE, 100.5)), [1, 0, 0], "the first access mapped its 2 MiB chunk")
    assert.deepStrictEqual([1, 2, 3].map((p) => s.young(1, p * PAGE, 101.2)), [1, 1, 1])
    s.mkold(1, PAGE, 101.2)
    assert.strictEqual(s.young(1, PAGE, 101.5), 0, "the fourth access is due at 101.5, not before")
    assert.strictEqual(s.young(1, PAGE, 101.6), 1)
    assert.deepStrictEqual(trace.stats(), { pushed: 4, applied: 4, pagesMarked: 4, late: 0, maxBuffered: 4, mappedBytes: 2 * MiB })
  })

  it("instruction fetches are replayed or not, and always advance time", () => {
    for (const instructions of [true, false]) {
      const trace = make({ accessesPerUs: 1, instructions, mapLeadRecords: 0 })
      pushAll(trace, "I  1000,4\nI  1000,4\n L 800000,4\n")
      const s = trace.space.sampler(Rng.makeRng(1))
      trace.advance(2)
      assert.strictEqual(s.young(1, 8 * MiB, 2), -1, "the load is the third access: at 2 us, not yet")
      assert.strictEqual(s.young(1, 8 * MiB, 2.5), 1)
      assert.strictEqual(s.young(1, PAGE, 2.5), instructions ? 1 : -1)
    }
  })

  it("the touched 2 MiB chunks are the mappings, mapped a lead of accesses before their first access", () => {
    const trace = make({ accessesPerUs: 1, mapLeadRecords: 2 })
    // chunks: 0 (addr 0x1000), 5 (0xa00000), 0 again, 0x1000 (high), adjacent 6 (0xc00000)
    pushAll(trace, " L 1000,1\n L a00000,1\n L 1000,1\n L 200000000,1\n L c00000,1\n")
    assert.deepStrictEqual(trace.space.mappings(1, 0), [{ start: 0, end: 2 * MiB }, { start: 10 * MiB, end: 12 * MiB }])
    assert.deepStrictEqual(trace.space.mappings(1, 2.5), [
      { start: 0, end: 2 * MiB },
      { start: 10 * MiB, end: 14 * MiB },
      { start: 0x200000000, end: 0x200000000 + 2 * MiB }
    ])
    assert.deepStrictEqual(trace.space.mappings(2, 3), [], "another pid has nothing")
  })

  it("replays every page of every access whatever the buffer's wrap: one run of slots or two, page-crossing accesses (3 rates)", () => {
    // 40 000 accesses (more than the 16 384-slot ring holds at once is never needed: advancing by
    // uneven steps makes the held records straddle its end), each to a seeded page, every 7th
    // crossing into the next page. A second table marked one access at a time is the oracle.
    const rng = Rng.makeRng(9)
    const lines: Array<string> = []
    const expected = new Set<number>()
    for (let k = 0; k < 40_000; k++) {
      // Pages in 256 MiB (a few chunks' worth of page-table memory), a third of them far above.
      const page = rng.rand(0, 2 ** 16) + (k % 3 === 0 ? 2 ** 36 : 0)
      const crossing = k % 7 === 0
      lines.push(` L ${(page * PAGE + (crossing ? PAGE - 2 : 0)).toString(16)},4`)
      expected.add(page)
      if (crossing) expected.add(page + 1)
    }
    for (const step of [997, 5000, 16_384]) {
      const trace = make({ accessesPerUs: 1, mapLeadRecords: 0 })
      const p = LackeyTrace.make()
      let pushed = 0
      const push = (b: LackeyTrace.RecordBatch) => {
        trace.push(b)
        pushed += b.count
      }
      const text = enc(lines.join("\n") + "\n")
      for (let i = 0; i < text.length; i += 4096) {
        assert.isUndefined(p.feed(text.subarray(i, i + 4096), push))
        for (let t = trace.stats().applied; t + step <= pushed; t += step) trace.advance(t + step)
      }
      assert.isUndefined(p.end(push))
      trace.advance(40_001)
      const stats = trace.stats()
      assert.strictEqual(stats.applied, 40_000)
      assert.strictEqual(stats.pagesMarked, 40_000 + Math.ceil(40_000 / 7), `step ${step}`)
      const s = trace.space.sampler(Rng.makeRng(1))
      for (const page of expected) assert.strictEqual(s.young(1, page * PAGE, 40_001), 1, `step ${step} page ${page}`)
      // Pages next to the marked ones stay clear (no access spills past its last byte).
      let clear = 0
      for (const page of expected) {
        if (!expected.has(page + 1) && s.young(1, (page + 1) * PAGE, 40_001) === 0) clear++
      }
      assert.isAbove(clear, 1000)
    }
  })

  it("records pushed after their time was seen are applied at the next call and counted late", () => {
    const trace = make({ accessesPerUs: 1, mapLeadRecords: 0 })
    pushAll(trace, " L 1000,1\n")
    trace.advance(5)
    pushAll(trace, " L 2000,1\n L 3000,1\n L 4000,1\n L 5000,1\n L 6000,1\n L 7000,1\n")
    trace.advance(5)
    assert.strictEqual(trace.stats().late, 4, "accesses 1..4 were due before 5 us")
    trace.advance(10)
    assert.strictEqual(trace.stats().late, 4)
    assert.strictEqual(trace.stats().applied, 7)
  })

  it("exact truth: accesses and accessed ticks per page per window, page-crossing accesses counting each page", () => {
    const truth = Result.getOrThrow(PageTruth.make({ tickUs: 10 }))
    const trace = make({ accessesPerUs: 1, truth, mapLeadRecords: 0 })
    // times 0..5: page 1 at 0, 1, 2 (tick 0); page 1 at 12 (tick 1); page 2 at 13; crossing 2|3 at 25
    pushAll(trace, [" L 1000,1", " L 1004,1", " L 1008,1"].join("\n") + "\n" + "I  9000,1\n".repeat(9) + " L 1000,1\n L 2000,1\n" + "I  9000,1\n".repeat(11) + " S 2ffc,8\n")
    trace.advance(20)
    const w1 = truth.closeWindow(20)
    assert.deepStrictEqual({ pages: [...w1.pages], accesses: [...w1.accesses], ticks: [...w1.ticks], nrTicks: w1.nrTicks }, {
      pages: [1, 2, 9],
      accesses: [4, 1, 15],
      ticks: [2, 1, 2],
      nrTicks: 2
    })
    trace.advance(30)
    const w2 = truth.closeWindow(30)
    assert.deepStrictEqual({ pages: [...w2.pages], accesses: [...w2.accesses], ticks: [...w2.ticks], start: w2.startUs }, {
      pages: [2, 3, 9],
      accesses: [1, 1, 5],
      ticks: [1, 1, 1],
      start: 20
    })
  })

  it("bad options are refused with the field named", () => {
    const r = TraceSpace.make({ accessesPerUs: 0 })
    assert.isTrue(Result.isFailure(r) && r.failure.message === "accessesPerUs: 0 is invalid: must be a positive finite number")
    const l = TraceSpace.make({ accessesPerUs: 1, mapLeadRecords: -1 })
    assert.isTrue(Result.isFailure(l) && l.failure.message.startsWith("mapLeadRecords: -1 is invalid"))
    const t = PageTruth.make({ tickUs: Number.NaN })
    assert.isTrue(Result.isFailure(t) && t.failure.message === "truth.tickUs: NaN is invalid: must be a positive finite number of microseconds")
  })
})

/** A program's trace: a hot 1 MiB buffer written page by page, among code fetches. */
const hotTrace = (sweeps: number): string => {
  const out: Array<string> = ["==1== Command: ./hot"]
  for (let r = 0; r < sweeps; r++) {
    for (let p = 0; p < 256; p++) {
      out.push(`I  ${(0x401000 + (p % 4) * 4).toString(16)},4`)
      out.push(` M ${(0x10000000 + p * PAGE).toString(16)},1`)
    }
  }
  return `${out.join("\n")}\n`
}

/** `text` in chunks of `size` bytes. */
const chunked = (text: string, size: number): Stream.Stream<Uint8Array> => {
  const bytes = enc(text)
  const chunks: Array<Uint8Array> = []
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size))
  return Stream.fromIterable(chunks)
}

describe("TraceReplay", () => {
  it.effect("the reader stays a bounded lookahead ahead of world time and every access is in time; fvaddr finds the hot buffer", () =>
    Effect.gen(function*() {
      // 400 sweeps of 512 accesses at 1 access/us: 204.8 ms of world time
      const trace = make({ accessesPerUs: 1, mapLeadRecords: 1000 })
      const world = World.makeVirtual()
      const layer = Damon.layer.pipe(
        Layer.provide(OpsRegistry.layer({ vaddr: Vaddr.vaddrOps(trace.space), fvaddr: Fvaddr.fvaddrOps(trace.space) })),
        Layer.provideMerge(Layer.succeed(World.WorldClock, world))
      )
      const regions = yield* Effect.scoped(Effect.gen(function*() {
        const reader = yield* TraceReplay.replay(trace, chunked(hotTrace(400), 4000), { lookaheadUs: 2000 })
        const k = yield* (yield* Damon.Damon).start({
          ops: "fvaddr",
          targets: [{ pid: 1, regions: [{ start: 0x400000, end: 0x600000 }, { start: 0x10000000, end: 0x10000000 + 8 * MiB }] }],
          attrs: { sampleIntervalUs: 1000, aggrIntervalUs: 20_000 }
        }, { seed: 1, stopAtUs: 200_000 })
        yield* world.sleep(150_000)
        const snapshot = yield* k.damonCall((ctx) => ctx.targets[0]!.regions.map((r) => ({ ...r })), { at: "aggregation" })
        const result = yield* Fiber.join(reader)
        assert.strictEqual(result.parser.records, 400 * 512)
        return snapshot
      })).pipe(Effect.provide(layer))
      const stats = trace.stats()
      assert.strictEqual(stats.late, 0, "no access was pushed after its time")
      // two lookaheads, the lead, one sample interval (records are dropped when a sample applies
      // them) and one chunk of text (about 200 records) at most
      assert.isAtMost(stats.maxBuffered, 2 * 2000 + 1000 + 1000 + 400)
      const hot = regions.filter((r) => r.nrAccesses > 10 && r.start >= 0x10000000)
      assert.isAbove(hot.length, 0)
      for (const r of hot) assert.isTrue(r.end <= 0x10000000 + 2 * MiB, `hot region [${r.start.toString(16)}, ${r.end.toString(16)}) beyond the hot 1 MiB`)
    }))

  it.effect("a malformed line fails the reader with its line number (the world moves on); skip-bad-lines keeps the rest", () =>
    Effect.gen(function*() {
      const bad = `${hotTrace(1)}I  zz,4\n${hotTrace(1)}`
      const run = (skipBadLines: boolean) =>
        Effect.scoped(Effect.gen(function*() {
          const trace = make({ accessesPerUs: 1 })
          const reader = yield* TraceReplay.replay(trace, chunked(bad, 1000), { source: "bad.lackey", skipBadLines })
          return yield* Effect.exit(Fiber.join(reader))
        })).pipe(Effect.provideService(World.WorldClock, World.makeVirtual()))
      const failed = yield* run(false)
      assert.isTrue(Exit.isFailure(failed))
      assert.include(String(Exit.isFailure(failed) ? failed.cause : ""), "bad.lackey:514: \"I  zz,4\" is invalid")
      const kept = yield* run(true)
      assert.isTrue(Exit.isSuccess(kept) && kept.value.parser.records === 1024 && kept.value.parser.badLines === 1)
    }))

  it.effect("trace files are read plain or gzip; an unreadable path is an InvalidArgument naming it", () =>
    Effect.gen(function*() {
      const gz = new URL("../../data/traces/phases.lackey.gz", import.meta.url).pathname
      const count = (path: string) =>
        Stream.runFold(TraceReplay.fileChunks(path), () => 0, (n, c) => n + c.length)
      assert.strictEqual(yield* count(gz), 11161162, "the shipped trace decompressed")
      const missing = yield* Effect.flip(count("/nonexistent/trace.lackey"))
      assert.include(missing.message, "trace.path: \"/nonexistent/trace.lackey\" is invalid: cannot be read: ENOENT")
    }))
})
