/**
 * One world: kdamonds on one simulated machine share its timeline. A kdamond started later sees
 * the workload where it is, not from its start; several kdamonds (DAMON_RECLAIM's context on
 * paddr, a vaddr kdamond with a stat scheme, an fvaddr one) agree on the workload's phase at
 * every aggregation; a multi-kdamond virtual run is deterministic; `serve`'s off/on continues
 * the workload.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Result, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Damon, type Events, OpsRegistry, World, type DamonConfigInput } from "effect-damon"
import { MasimFiles, SimMachine, SimOps } from "effect-damon/sim"
import { serveLayer } from "../../src/cli/Serve.ts"
import { defaults as reclaimDefaults } from "../../src/modules/ReclaimParams.ts"
import { buildReclaim } from "../../src/modules/ReclaimCtx.ts"
import { Sysfs } from "../../src/sysfs/Sysfs.ts"

const PID = 42
const MB = 10_000_000

const MiB = 1 << 20

/**
 * masim stairs as pid 42; with `pressure`, on 256 MiB of RAM of which 64 MiB are used outside
 * the workload, so free memory (about 26 %) is under DAMON_RECLAIM's mid watermark.
 */
const stairs = (pressure = false) => {
  const config = Result.getOrThrow(MasimFiles.loadMasimConfig("stairs"))
  const memory = pressure ? { ramBytes: 256 * MiB, reservedBytes: 64 * MiB } : {}
  return Result.getOrThrow(SimMachine.SimMachine.withMasim(config, { seed: 1, pid: PID, loop: true, ...memory }))
}

/** The stair that is hot at world time `us` (stairs: 10 s all hot, then 5 s per stair); -1 = all. */
const hotStairAt = (us: number): number => {
  const t = us % 60_000_000
  return t < 10_000_000 ? -1 : Math.floor((t - 10_000_000) / 5_000_000)
}

/** Microseconds since the current stair became hot. */
const intoPhaseUs = (us: number): number => {
  const t = us % 60_000_000
  return t < 10_000_000 ? t : (t - 10_000_000) % 5_000_000
}

/** The stair (workload region) holding most of the bytes of the regions seen as hot. */
const hottestStair = (
  machine: SimMachine.SimMachine,
  physical: boolean,
  regions: ReadonlyArray<Events.RegionSnapshot>
): number => {
  const p = machine.process(PID)!
  const max = Math.max(...regions.map((r) => r.nrAccesses))
  const bytes = new Array<number>(10).fill(0)
  for (const r of regions) {
    if (r.nrAccesses < max / 2 || max === 0) continue
    if (physical) {
      for (const e of p.extents) {
        if (e.regionIdx < 0) continue
        const ps = e.pStart
        const pe = e.pStart + (e.vEnd - e.vStart)
        bytes[e.regionIdx]! += Math.max(0, Math.min(pe, r.end) - Math.max(ps, r.start))
      }
    } else {
      for (let i = 0; i < 10; i++) {
        const s = p.regionStart[i]!
        bytes[i]! += Math.max(0, Math.min(s + MB, r.end) - Math.max(s, r.start))
      }
    }
  }
  return bytes.indexOf(Math.max(...bytes))
}

interface Seen {
  readonly name: string
  readonly worldUs: number
  readonly stair: number
}

const fvaddrRanges = (machine: SimMachine.SimMachine) =>
  machine.process(PID)!.vmasAt(0).map((v) => ({ start: v.start, end: v.end }))

/**
 * Three kdamonds on one stairs machine, started at world times 0, 12.3 s and 21.7 s, each
 * recording the hottest stair of every aggregation with its world time, until 45 s.
 */
const threeKdamonds = Effect.gen(function*() {
  const machine = stairs(true)
  const world = World.makeVirtual()
  const layer = Damon.layer.pipe(
    Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), Layer.succeed(World.WorldClock, world)])
  )
  // DAMON_RECLAIM's context, over all of RAM (by default it watches the biggest System RAM range
  // only, and some stairs live in the other one)
  const ram = machine.systemRamRanges()
  const whole = { monitorRegionStart: ram[0]!.start, monitorRegionEnd: ram[ram.length - 1]!.end }
  const reclaim = Result.getOrThrow(buildReclaim({ ...reclaimDefaults, ...whole }, ram, "biggest"))
  const endUs = 45_000_000
  return yield* Effect.scoped(Effect.gen(function*() {
    const damon = yield* Damon.Damon
    const seen: Array<Seen> = []
    const readers: Array<Fiber.Fiber<void>> = []
    const run = (name: string, config: DamonConfigInput, physical: boolean, seed: number) =>
      Effect.gen(function*() {
        const k = yield* damon.start(config, { seed, stopAtUs: endUs - world.nowUs() })
        let startUs = 0
        const reader = yield* Effect.forkChild(
          Stream.runForEach(k.events, (e) =>
            Effect.sync(() => {
              if (e._tag === "Started") startUs = e.worldUs
              if (e._tag !== "Aggregated") return
              seen.push({ name, worldUs: startUs + e.atUs, stair: hottestStair(machine, physical, e.targets[0]!.regions) })
            })),
          { startImmediately: true }
        )
        readers.push(reader)
        return k
      })
    const a = yield* run("reclaim(paddr)", reclaim.config, true, 1)
    yield* world.sleep(12_300_000)
    const b = yield* run("vaddr+stat", {
      ops: "vaddr",
      targets: [{ pid: PID }],
      schemes: [{ action: "stat", pattern: { minNrAccesses: 1 } }]
    }, false, 2)
    yield* world.sleep(9_400_000)
    const c = yield* run("fvaddr", { ops: "fvaddr", targets: [{ pid: PID, regions: fvaddrRanges(machine) }] }, false, 3)
    for (const k of [a, b, c]) yield* k.join
    // every stream ends after its Stopped event: nothing is left unread
    for (const r of readers) yield* Fiber.join(r)
    return seen
  })).pipe(Effect.provide(layer))
})

describe("one world", () => {
  it.effect("a kdamond started at world time 30 s sees the 30 s phase (stair 4), not the workload's start", () =>
    Effect.gen(function*() {
      const machine = stairs()
      const world = World.makeVirtual()
      const layer = Damon.layer.pipe(
        Layer.provide([OpsRegistry.layer(SimOps.simOps(machine)), Layer.succeed(World.WorldClock, world)])
      )
      yield* world.sleep(30_000_000)
      const regions = yield* Effect.scoped(Effect.gen(function*() {
        const k = yield* (yield* Damon.Damon).start({ ops: "vaddr", targets: [{ pid: PID }] }, { seed: 1 })
        yield* world.sleep(2_000_000)
        return yield* k.damonCall((ctx) => ctx.targets[0]!.regions.map((r) => ({ ...r })), { at: "aggregation" })
      })).pipe(Effect.provide(layer))
      assert.isAtLeast(world.nowUs(), 32_000_000)
      assert.strictEqual(hotStairAt(world.nowUs()), 4)
      assert.strictEqual(hottestStair(machine, false, regions), 4)
    }))

  it.effect("three kdamonds started at different times agree on the workload's phase at every aggregation", () =>
    Effect.gen(function*() {
      const seen = yield* threeKdamonds
      const names = new Set(seen.map((s) => s.name))
      assert.deepStrictEqual([...names].sort(), ["fvaddr", "reclaim(paddr)", "vaddr+stat"])
      // judged where a stair has been hot for 1.5 s (the regions need a few aggregations to adapt)
      const judged = seen.filter((s) => hotStairAt(s.worldUs) >= 0 && intoPhaseUs(s.worldUs) >= 1_500_000)
      for (const name of names) {
        const mine = judged.filter((s) => s.name === name)
        const agree = mine.filter((s) => s.stair === hotStairAt(s.worldUs)).length
        assert.isAbove(mine.length, 50, name)
        assert.isAtLeast(agree / mine.length, 0.95, `${name}: ${agree} of ${mine.length} aggregations saw the hot stair`)
      }
      // the later kdamonds' first aggregations are at their start's world time, not at 0
      assert.isAtLeast(Math.min(...seen.filter((s) => s.name === "vaddr+stat").map((s) => s.worldUs)), 12_300_000)
      assert.isAtLeast(Math.min(...seen.filter((s) => s.name === "fvaddr").map((s) => s.worldUs)), 21_700_000)
    }))

  it.effect("a multi-kdamond virtual run is deterministic", () =>
    Effect.gen(function*() {
      const first = yield* threeKdamonds
      const second = yield* threeKdamonds
      assert.isAbove(first.length, 500)
      assert.deepStrictEqual(second, first)
    }))

  it.effect("serve: state off then on continues the workload where it is", () =>
    Effect.gen(function*() {
      const tree = yield* Sysfs
      const C = "kdamonds/0/contexts/0"
      const S = `${C}/schemes/0`
      for (
        const [path, value] of [
          ["kdamonds/nr_kdamonds", "1"],
          ["kdamonds/0/contexts/nr_contexts", "1"],
          [`${C}/operations`, "vaddr"],
          [`${C}/targets/nr_targets`, "1"],
          [`${C}/targets/0/pid_target`, String(PID)],
          [`${C}/schemes/nr_schemes`, "1"],
          [`${S}/action`, "stat"],
          [`${S}/access_pattern/sz/max`, "18446744073709551615"],
          [`${S}/access_pattern/nr_accesses/max`, "4294967295"],
          [`${S}/access_pattern/age/max`, "4294967295"],
          ["kdamonds/0/state", "on"]
        ] as const
      ) yield* tree.write(path, value)
      yield* TestClock.adjust("20 seconds")
      yield* tree.write("kdamonds/0/state", "off")
      yield* TestClock.adjust("10 seconds")
      yield* tree.write("kdamonds/0/state", "on")
      yield* TestClock.adjust("2 seconds")
      // world time is now 32 s: stair 4 is hot; a restarted workload would be in its all-hot start
      const update = yield* Effect.forkChild(tree.write("kdamonds/0/state", "update_schemes_tried_regions"), { startImmediately: true })
      yield* TestClock.adjust("200 millis")
      yield* Fiber.join(update)
      const regions: Array<Events.RegionSnapshot> = []
      for (let i = 0; ; i++) {
        const start = yield* Effect.result(tree.read(`${S}/tried_regions/${i}/start`))
        if (start._tag === "Failure") break
        regions.push({
          start: Number(start.success),
          end: Number(yield* tree.read(`${S}/tried_regions/${i}/end`)),
          nrAccesses: Number(yield* tree.read(`${S}/tried_regions/${i}/nr_accesses`)),
          nrAccessesBp: 0,
          lastNrAccesses: 0,
          age: Number(yield* tree.read(`${S}/tried_regions/${i}/age`))
        })
      }
      assert.isAbove(regions.length, 2)
      // serve's machine is built from the same workload and seed: the same layout
      assert.strictEqual(hottestStair(stairs(), false, regions), 4)
    }).pipe(Effect.provide(serveLayer({ port: 0, host: "127.0.0.1", workload: "stairs", seed: 1, time: "real" }))))
})
