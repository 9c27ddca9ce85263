/**
 * Instrumented application memory: arenas and their one-byte marks under the port, each DAMOS
 * action mapped to its typed event, and the Effect service end to end: an application marks a
 * hot part, a kdamond's schemes evict the rest and prefetch the hot part, and the application
 * handles the events it receives.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Result, Stream } from "effect"
import { AddressSpace, Damon, FolioFilter, Rng, World } from "effect-damon"
import { Instrumented, InstrumentedMemory, PageTruth } from "effect-damon/accuracy"

const PAGE = 4096
const MiB = 2 ** 20

const req = (action: AddressSpace.MemAction, extra: Partial<AddressSpace.ActionRequest> = {}): AddressSpace.ActionRequest => ({
  action,
  chain: null,
  targetNid: -1,
  dests: [],
  splitThp: false,
  skipFolio: -1,
  ...extra
})

describe("InstrumentedMemory", () => {
  it("arenas are separate 2 MiB-aligned mappings; a mark is one byte the monitor reads and clears", () => {
    const m = InstrumentedMemory.make({ pid: 4, base: 0x1000_0000 })
    const a = Result.getOrThrow(m.allocate("values", 3 * MiB + 1))
    const b = Result.getOrThrow(m.allocate("index", PAGE))
    assert.deepStrictEqual([a.start, a.pages, b.start, b.pages], [0x1000_0000, 769, 0x1000_0000 + 6 * MiB, 1])
    assert.deepStrictEqual(m.space.mappings(4, 0), [{ start: a.start, end: a.start + 769 * PAGE }, { start: b.start, end: b.start + PAGE }])
    const s = m.space.sampler(Rng.makeRng(1))
    a.mark(5 * PAGE + 17)
    b.markPage(0)
    assert.strictEqual(a.bits[5], 1)
    assert.deepStrictEqual([s.young(4, a.start + 5 * PAGE, 0), s.young(4, a.start + 6 * PAGE, 0), s.young(4, b.start, 0)], [1, 0, 1])
    s.mkold(4, a.start + 5 * PAGE + 99, 0)
    assert.strictEqual(s.young(4, a.start + 5 * PAGE, 0), 0)
    assert.strictEqual(s.young(4, a.start + 4 * MiB, 0), -1, "between arenas")
    assert.strictEqual(s.young(5, a.start, 0), -1, "another pid")
    const clash = m.allocate("values", PAGE)
    assert.isTrue(Result.isFailure(clash) && clash.failure.message === "name: \"\\\"values\\\"\" is invalid: must be a non-empty name no other arena has")
    const zero = m.allocate("z", 0)
    assert.isTrue(Result.isFailure(zero) && zero.failure.message === "bytes: 0 is invalid: must be an integer in [1, 2^40]")
    assert.strictEqual(m.arenas().length, 2, "refused allocations change nothing")
  })

  it("each action becomes its typed event on the pages it covers; hugepage actions and stat raise none", () => {
    const events: Array<string> = []
    const m = InstrumentedMemory.make({ onEvent: (e) => events.push(`${e._tag} ${e.arena.name} ${e.firstPage}-${e.endPage}`) })
    const a = Result.getOrThrow(m.allocate("a", 16 * PAGE))
    const out = AddressSpace.makeOutcome()
    const at = (p: number) => a.start + p * PAGE
    m.space.applyVirtual(1, at(2), at(4), req("pageout"), 0, out)
    m.space.applyVirtual(1, at(0), at(1), req("willneed"), 0, out)
    m.space.applyPhysical(at(4), at(6), req("activate"), 0, out)
    m.space.applyPhysical(at(6), at(8), req("deactivate"), 0, out)
    m.space.applyVirtual(1, at(8), at(9), req("migrate", { targetNid: 0 }), 0, out)
    m.space.applyVirtual(1, at(9), at(10), req("migrate", { targetNid: 1 }), 0, out)
    m.space.applyVirtual(1, at(10), at(11), req("migrate", { dests: [{ nid: 2, weight: 1 }] }), 0, out)
    m.space.applyVirtual(1, at(0), at(16), req("hugepage"), 0, out)
    m.space.applyVirtual(1, at(0), at(16), req("stat"), 0, out)
    // beyond the arena: unmapped, no event for those pages
    m.space.applyVirtual(1, at(14), at(20), req("pageout"), 0, out)
    assert.deepStrictEqual(events, ["Evict a 2-4", "Prefetch a 0-1", "Promote a 4-6", "Demote a 6-8", "Promote a 8-9", "Demote a 9-10", "Demote a 10-11", "Evict a 14-16"])
    assert.strictEqual(out.unmappedBytes, 4 * PAGE)
  })

  it("a young filter passes pages per accessed bit (clearing what it read): events for runs of passing pages", () => {
    const events: Array<string> = []
    const m = InstrumentedMemory.make({ onEvent: (e) => events.push(`${e._tag} ${e.firstPage}-${e.endPage}`) })
    const a = Result.getOrThrow(m.allocate("a", 8 * PAGE))
    for (const p of [1, 2, 5]) a.markPage(p)
    const notYoung = FolioFilter.makeChain([{ type: "young", matching: true, allow: false }], false, false)
    const out = AddressSpace.makeOutcome()
    m.space.applyVirtual(1, a.start, a.start + 8 * PAGE, req("pageout", { chain: notYoung }), 0, out)
    assert.deepStrictEqual(events, ["Evict 0-1", "Evict 3-5", "Evict 6-8"])
    assert.strictEqual(out.passedBytes, 5 * PAGE)
    assert.deepStrictEqual([...a.bits], [0, 0, 0, 0, 0, 0, 0, 0])
  })

  it("truth mode counts every mark at the world time it is made", () => {
    const recorder = Result.getOrThrow(PageTruth.make({ tickUs: 100 }))
    let now = 0
    const m = InstrumentedMemory.make({ base: 0, truth: { recorder, nowUs: () => now } })
    const a = Result.getOrThrow(m.allocate("a", 4 * PAGE))
    a.markPage(1)
    now = 150
    a.markPage(1)
    a.mark(3 * PAGE)
    const w = recorder.closeWindow(200)
    assert.deepStrictEqual([[...w.pages], [...w.accesses], [...w.ticks]], [[1, 3], [2, 1], [2, 1]])
  })
})

describe("Instrumented (the service)", () => {
  it.effect("end to end: schemes evict the idle part and prefetch the hot part; the application handles the events", () =>
    Effect.gen(function*() {
      const memory = yield* Instrumented.InstrumentedMemory
      const world = yield* World.WorldClock
      const arena = yield* memory.allocate("cache", 16 * MiB)
      const resident = new Uint8Array(arena.pages).fill(1)
      const prefetched = new Set<number>()
      const handled = { Evict: 0, Prefetch: 0, Promote: 0, Demote: 0 }
      // the application: touches its first 2 MiB every millisecond, handles events as they come
      const handler = yield* Effect.forkChild(Stream.runForEach(memory.events, (e) =>
        Effect.sync(() => {
          handled[e._tag]++
          for (let p = e.firstPage; p < e.endPage; p++) {
            if (e._tag === "Evict") resident[p] = 0
            if (e._tag === "Prefetch") prefetched.add(p)
          }
        })), { startImmediately: true })
      // a participant of the world: time waits for each of its steps
      const clock = world.join()
      const app = yield* Effect.forkChild(Effect.forever(Effect.andThen(Effect.sync(() => {
        for (let p = 0; p < 512; p++) arena.markPage(p)
      }), Effect.suspend(() => clock.sleepUntil(world.nowUs() + 1000)))), { startImmediately: true })
      const k = yield* (yield* Damon.Damon).start({
        ops: "fvaddr",
        targets: [{ pid: memory.pid, regions: memory.ranges() }],
        schemes: [
          { action: "pageout", pattern: { maxNrAccesses: 0, minAgeRegion: 5 } },
          { action: "willneed", pattern: { minNrAccesses: 15 } }
        ]
      }, { seed: 1, stopAtUs: 2_000_000 })
      yield* k.join
      yield* Fiber.interrupt(app)
      clock.leave()
      // every event queued before the stop reaches the handler
      while ((yield* memory.pendingEvents) > 0) yield* Effect.yieldNow
      yield* Fiber.interrupt(handler)
      assert.isAbove(handled.Evict, 0)
      assert.isAbove(handled.Prefetch, 0)
      const evicted = resident.reduce((n, r) => n + (r === 0 ? 1 : 0), 0)
      assert.isAbove(evicted, arena.pages * 0.8, "most of the idle 14 MiB was evicted")
      // a region straddling the edge of the hot part may sample only its idle pages: the edge's
      // pages can go, the ones well inside never
      for (let p = 0; p < 448; p++) assert.strictEqual(resident[p], 1, `hot page ${p} evicted`)
      for (const p of prefetched) assert.isBelow(p, 512 + 64, `prefetched page ${p} is not hot`)
    }).pipe(
      Effect.provide(Damon.layer.pipe(
        Layer.provide(Instrumented.opsLayer),
        Layer.provideMerge(Instrumented.layer()),
        Layer.provideMerge(World.layerVirtual)
      ))
    ))
})
