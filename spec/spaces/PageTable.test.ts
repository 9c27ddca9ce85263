/**
 * The minimal address-space adapter: a page table a program marks. Its accessed bits through the
 * sampler, sparse 64-bit-wide layouts, action walks with filters, and end to end under vaddr and
 * paddr with a scheme whose actions reach the program.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Result } from "effect"
import { AddressSpace, Damon, FolioFilter, OpsRegistry, PageTable, Paddr, Rng, Vaddr, World } from "effect-damon"

const MiB = 1 << 20
const PAGE = 4096
const req = (action: AddressSpace.MemAction, chain: FolioFilter.FolioFilterChain | null): AddressSpace.ActionRequest => ({
  action,
  chain,
  targetNid: -1,
  dests: [],
  splitThp: false,
  skipFolio: -1
})

describe("PageTable", () => {
  it("map refuses misaligned, empty and overlapping ranges, naming the field", () => {
    const t = PageTable.make()
    assert.isTrue(Result.isSuccess(t.map(0, 4 * PAGE)))
    const misaligned = t.map(PAGE + 1, 8 * PAGE)
    assert.isTrue(Result.isFailure(misaligned) && misaligned.failure.message.startsWith("start: 4097 is invalid"))
    const empty = t.map(8 * PAGE, 8 * PAGE)
    assert.isTrue(Result.isFailure(empty) && empty.failure.message.includes("end: 32768 is invalid: must be > start"))
    const overlap = t.map(2 * PAGE, 6 * PAGE)
    assert.isTrue(Result.isFailure(overlap) && overlap.failure.message.includes("overlaps the mapped range [0, 16384)"))
    assert.deepStrictEqual(t.mappedRanges(), [{ start: 0, end: 4 * PAGE }])
  })

  it("accessed bits: mark sets, young tests without clearing, mkold clears; unmapped is -1; sparse high addresses", () => {
    const t = PageTable.make({ pid: 7 })
    const high = 2 ** 52
    Result.getOrThrow(t.map(high, high + 4 * MiB))
    Result.getOrThrow(t.map(0x1000_0000, 0x1000_0000 + MiB))
    const s = t.space.sampler(Rng.makeRng(1))
    assert.strictEqual(s.young(7, high + 5 * PAGE, 0), 0)
    t.mark(high + 5 * PAGE + 123)
    assert.strictEqual(s.young(7, high + 5 * PAGE, 0), 1)
    assert.strictEqual(s.young(7, high + 5 * PAGE + 4095, 0), 1)
    assert.strictEqual(s.young(7, high + 6 * PAGE, 0), 0)
    assert.strictEqual(s.young(7, high + 5 * PAGE, 0), 1, "young does not clear")
    s.mkold(7, high + 5 * PAGE, 0)
    assert.strictEqual(s.young(7, high + 5 * PAGE, 0), 0)
    assert.strictEqual(s.young(7, high + 8 * MiB, 0), -1, "unmapped")
    assert.strictEqual(s.young(8, high + 5 * PAGE, 0), -1, "another pid")
    assert.strictEqual(s.young(null, high + 5 * PAGE, 0), 0, "the same table as physical memory")
    t.markRange(0x1000_0000, 0x1000_0000 + MiB)
    assert.strictEqual(s.young(7, 0x1000_0000 + MiB - 1, 0), 1)
    t.unmap(0x1000_0000, 0x1000_0000 + MiB / 2)
    assert.deepStrictEqual(t.mappedRanges(), [{ start: 0x1000_0000 + MiB / 2, end: 0x1000_0000 + MiB }, { start: high, end: high + 4 * MiB }])
    assert.strictEqual(s.young(7, 0x1000_0000, 0), -1)
    assert.strictEqual(t.space.processAlive(7, 0), true)
    assert.strictEqual(t.space.processAlive(8, 0), false)
    assert.deepStrictEqual(t.space.mappings(8, 0), [])
  })

  it("actions: a young filter passes the marked pages and clears them; the program hears every passing range", () => {
    const heard: Array<string> = []
    const t = PageTable.make({ onAction: (action, start, end) => heard.push(`${action} ${start / PAGE}-${end / PAGE}`) })
    Result.getOrThrow(t.map(0, 16 * PAGE))
    t.mark(3 * PAGE)
    t.mark(4 * PAGE)
    const youngOnly = FolioFilter.makeChain([{ type: "young", matching: false, allow: false }], false, false)
    const out = AddressSpace.makeOutcome()
    t.space.applyVirtual(1, 0, 20 * PAGE, req("pageout", youngOnly), 0, out)
    assert.deepStrictEqual(heard, ["pageout 3-4", "pageout 4-5"])
    assert.deepStrictEqual(out, { affectedBytes: 2 * PAGE, passedBytes: 2 * PAGE, folios: 16, unmappedBytes: 4 * PAGE, lastFolio: 15 * PAGE })
    const s = t.space.sampler(Rng.makeRng(1))
    assert.strictEqual(s.young(1, 3 * PAGE, 0), 0, "the young filter cleared what it read")
    // no filters: the whole mapped range, once; stat changes nothing
    const all = AddressSpace.makeOutcome()
    t.space.applyPhysical(0, 16 * PAGE, req("stat", null), 0, all)
    assert.deepStrictEqual([all.affectedBytes, all.passedBytes], [0, 16 * PAGE])
    const anonReject = FolioFilter.makeChain([{ type: "anon", matching: true, allow: false }], false, false)
    const none = AddressSpace.makeOutcome()
    t.space.applyVirtual(1, 0, 16 * PAGE, req("deactivate", anonReject), 0, none)
    assert.strictEqual(none.passedBytes, 0)
  })

  it.effect("end to end: vaddr finds the pages a program keeps marking, and a pageout scheme evicts the rest", () =>
    Effect.gen(function*() {
      // three mappings (text, heap, a buffer), as vaddr's three-regions heuristic expects
      const evicted: Array<readonly [number, number]> = []
      const t = PageTable.make({ pid: 9, onAction: (_a, start, end) => evicted.push([start, end]) })
      const buf = 0x7f00_0000_0000
      for (const [s, e] of [[0x40_0000, 0x60_0000], [0x100_0000, 0x140_0000], [buf, buf + 32 * MiB]]) Result.getOrThrow(t.map(s!, e!))
      const rng = Rng.makeRng(3)
      const program = Effect.forever(Effect.andThen(Effect.sync(() => {
        for (let i = 0; i < 2048; i++) t.mark(rng.rand(buf, buf + 4 * MiB))
      }), Effect.yieldNow))
      const world = World.makeVirtual()
      const layer = Damon.layer.pipe(Layer.provide([
        OpsRegistry.layer({ vaddr: Vaddr.vaddrOps(t.space), paddr: Paddr.paddrOps(t.space) }),
        Layer.succeed(World.WorldClock, world)
      ]))
      const result = yield* Effect.scoped(Effect.gen(function*() {
        const damon = yield* Damon.Damon
        const k = yield* damon.start({
          ops: "vaddr",
          targets: [{ pid: 9 }],
          schemes: [{ action: "pageout", pattern: { maxNrAccesses: 0, minAgeRegion: 10 } }]
        }, { seed: 1 })
        const p = yield* damon.start({ ops: "paddr", targets: [{ regions: [{ start: buf, end: buf + 32 * MiB }] }] }, { seed: 2 })
        const f = yield* Effect.forkChild(program, { startImmediately: true })
        yield* world.sleep(3_000_000)
        const read = (ctx: Parameters<Parameters<typeof k.damonCall>[0]>[0]) => ctx.targets[0]!.regions.map((r) => ({ ...r }))
        const vregions = yield* k.damonCall(read, { at: "aggregation" })
        const pregions = yield* p.damonCall(read, { at: "aggregation" })
        yield* Fiber.interrupt(f)
        return { vregions, pregions }
      })).pipe(Effect.provide(layer))
      for (const regions of [result.vregions, result.pregions]) {
        const hot = regions.filter((r) => r.nrAccesses > 0)
        assert.isAbove(hot.length, 0)
        for (const r of hot) assert.isTrue(r.start >= buf - 2 * MiB && r.end <= buf + 6 * MiB, `[${r.start}, ${r.end}) is not near the hot 4 MiB`)
      }
      // the scheme's pageouts reached the program, never in the pages it keeps touching
      assert.isAbove(evicted.length, 0)
      assert.isTrue(evicted.some(([s]) => s >= buf + 8 * MiB))
      for (const [s, e] of evicted) assert.isFalse(s < buf + 4 * MiB && e > buf, `evicted hot pages [${s}, ${e})`)
    }))

  it("the whole 64-bit space: page-aligned addresses up to 2^64 map and mark exactly; beyond is refused", () => {
    const t = PageTable.make({ pid: 3 })
    const top = 2 ** 64
    Result.getOrThrow(t.map(top - 8 * MiB, top))
    Result.getOrThrow(t.map(2 ** 63, 2 ** 63 + 2 * MiB))
    const s = t.space.sampler(Rng.makeRng(1))
    t.mark(top - PAGE)
    t.markPage(2 ** 63 / PAGE + 1)
    assert.strictEqual(s.young(3, top - PAGE, 0), 1)
    assert.strictEqual(s.young(3, top - 2 * PAGE, 0), 0)
    assert.strictEqual(s.young(3, 2 ** 63 + PAGE + 100, 0), 1)
    assert.strictEqual(s.young(3, 2 ** 63, 0), 0)
    s.mkold(3, top - PAGE, 0)
    assert.strictEqual(s.young(3, top - PAGE, 0), 0)
    const beyond = t.map(top, top + PAGE)
    assert.isTrue(Result.isFailure(beyond) && beyond.failure.message.includes("must be a page-aligned (4096) integer in [0, 2^64]"))
    // a double above 2^53 that is not a page multiple is refused too
    const odd = t.map(2 ** 60, 2 ** 60 + 6144)
    assert.isTrue(Result.isFailure(odd) && odd.failure.message.startsWith("end: "))
  })

  it("property: marks in many sparse chunks (more than the chunk cache holds) keep their bits (seeded)", () => {
    const t = PageTable.make()
    const rng = Rng.makeRng(5)
    const pages = new Set<number>()
    for (let i = 0; i < 3000; i++) {
      const page = rng.rand(0, 2 ** 52)
      pages.add(page)
      t.markPage(page)
    }
    Result.getOrThrow(t.ensureMapped(0, 2 ** 64))
    const s = t.space.sampler(Rng.makeRng(1))
    for (const page of pages) assert.strictEqual(s.young(1, page * PAGE, 0), 1)
    for (let i = 0; i < 3000; i++) {
      const page = rng.rand(0, 2 ** 52)
      if (!pages.has(page)) assert.strictEqual(s.young(1, page * PAGE, 0), 0)
    }
  })

  it("markPages marks exactly what markPage marks for each listed page: runs in one chunk, sparse chunks, a sub-range (seeded)", () => {
    const rng = Rng.makeRng(21)
    const list = new Float64Array(5000)
    for (let i = 0; i < list.length; i++) {
      // Runs of neighbours (one chunk) mixed with jumps across the whole space.
      list[i] = i % 5 === 0 ? rng.rand(0, 2 ** 52) : list[Math.max(0, i - 1)]! + rng.rand(0, 3)
    }
    const batch = PageTable.make()
    const single = PageTable.make()
    batch.markPages(list, 100, 4900)
    for (let i = 100; i < 4900; i++) single.markPage(list[i]!)
    Result.getOrThrow(batch.ensureMapped(0, 2 ** 64))
    Result.getOrThrow(single.ensureMapped(0, 2 ** 64))
    const sb = batch.space.sampler(Rng.makeRng(1))
    const ss = single.space.sampler(Rng.makeRng(1))
    for (let i = 0; i < list.length; i++) {
      for (const page of [list[i]!, list[i]! + 1]) assert.strictEqual(sb.young(1, page * PAGE, 0), ss.young(1, page * PAGE, 0), `page ${page}`)
    }
    // Outside the sub-range: the first page is marked only if another listed entry repeats it.
    assert.strictEqual(sb.young(1, list[0]! * PAGE, 0), ss.young(1, list[0]! * PAGE, 0))
  })

  it("markPages refuses a range outside the list, naming the bound, and marks nothing", () => {
    const t = PageTable.make()
    const list = Float64Array.from([5, 6, 7])
    assert.throws(() => t.markPages(list, -1, 2), RangeError, "from: -1 must be an integer in [0, pages.length = 3]")
    assert.throws(() => t.markPages(list, 0, 4), RangeError, "to: 4 must be an integer in [from = 0, pages.length = 3]")
    assert.throws(() => t.markPages(list, 2, 1), RangeError, "to: 1 must be an integer in [from = 2, pages.length = 3]")
    assert.throws(() => t.markPages(list, 0.5, 2), RangeError, "from: 0.5")
    Result.getOrThrow(t.ensureMapped(0, 8 * PAGE))
    const s = t.space.sampler(Rng.makeRng(1))
    assert.deepStrictEqual([5, 6, 7].map((p) => s.young(1, p * PAGE, 0)), [0, 0, 0])
  })

  it("ensureMapped maps what is missing, merged with the ranges it overlaps or touches", () => {
    const t = PageTable.make()
    Result.getOrThrow(t.map(0, 4 * PAGE))
    Result.getOrThrow(t.map(10 * PAGE, 12 * PAGE))
    Result.getOrThrow(t.ensureMapped(4 * PAGE, 6 * PAGE))
    assert.deepStrictEqual(t.mappedRanges(), [{ start: 0, end: 6 * PAGE }, { start: 10 * PAGE, end: 12 * PAGE }])
    Result.getOrThrow(t.ensureMapped(5 * PAGE, 11 * PAGE))
    assert.deepStrictEqual(t.mappedRanges(), [{ start: 0, end: 12 * PAGE }])
    Result.getOrThrow(t.ensureMapped(2 * PAGE, 3 * PAGE))
    assert.deepStrictEqual(t.mappedRanges(), [{ start: 0, end: 12 * PAGE }])
    const bad = t.ensureMapped(PAGE, PAGE + 1)
    assert.isTrue(Result.isFailure(bad) && bad.failure.message.startsWith("end: 4097 is invalid"))
    assert.deepStrictEqual(t.mappedRanges(), [{ start: 0, end: 12 * PAGE }], "a refused call changes nothing")
  })
})
