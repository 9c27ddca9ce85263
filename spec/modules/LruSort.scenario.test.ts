/**
 * DAMON_LRU_SORT on the simulated machine, in virtual time: hot pages move to the active LRU
 * list, pages idle for `cold_min_age` to the inactive one, and `active_mem_bp` steers the balance.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type MasimConfig, SimMachine } from "effect-damon/sim"
import { DamonLruSort } from "../../src/modules/DamonLruSort.ts"
import type { LruSortParamsInput } from "../../src/modules/LruSortParams.ts"
import { MiB, PID, regionBytes, stack, unwrap, workload } from "./support.ts"

const HOT = 128 * MiB
const COLD = 64 * MiB
const END_US = 20_000_000
/** Both regions hot for 3 s, then only `hot`. */
const warmThenHot = workload(`hot, ${HOT}\ncold, ${COLD}\n\nwarm\n3000\nhot, 1, 4096, 1\ncold, 1, 4096, 1\n\nrun\n1000000\nhot, 1, 4096, 1\n`)
/** Only `hot`, from the start. */
const hotOnly = workload(`hot, ${HOT}\ncold, ${COLD}\n\nrun\n1000000\nhot, 1, 4096, 1\n`)

const active = (e: { readonly resident: number; readonly active: number }) => e.resident * e.active

/** Enables DAMON_LRU_SORT with `params` for 20 s of virtual time, sampling activeMemBp every second. */
const run = (config: MasimConfig.MasimConfig, ramBytes: number, params: LruSortParamsInput) => {
  const machine = unwrap(SimMachine.SimMachine.withMasim(config, { seed: 1, pid: PID, nrNodes: 1, ramBytes }))
  return Effect.gen(function*() {
    const m = yield* DamonLruSort
    const before = { freePermil: machine.freeMemRatePermil(0), activeBp: machine.metrics.activeMemBp(0) }
    yield* m.set({ coldMinAgeUs: 2_000_000, quotaResetIntervalMs: 100, ...params })
    yield* m.enable
    const k = (yield* m.kdamond)!
    const activeBp: Array<number> = []
    yield* Effect.forkChild(
      k.damonCallRepeat((ctx) => {
        if (ctx.passedSampleIntervals % 200 === 0) activeBp.push(machine.metrics.activeMemBp(ctx.passedSampleIntervals * 5000))
      }),
      { startImmediately: true }
    )
    yield* k.join
    return {
      before,
      activeBp,
      end: machine.metrics.activeMemBp(END_US),
      hotActive: regionBytes(machine, 0, END_US, active),
      coldActive: regionBytes(machine, 1, END_US, active),
      stats: yield* m.stats
    }
  }).pipe(Effect.provide(stack(machine, { time: "virtual", start: { seed: 1, stopAtUs: END_US } })))
}

describe("DAMON_LRU_SORT scenarios", () => {
  it.effect("activates hot pages and deactivates pages that went cold; activeMemBp follows", () =>
    Effect.gen(function*() {
      const r = yield* run(warmThenHot, 224 * MiB, {})
      // free memory between wmarks_low (50) and wmarks_high (200): the schemes are active
      assert.isTrue(r.before.freePermil > 50 && r.before.freePermil < 150, `free ${r.before.freePermil}`)
      // anonymous memory starts inactive
      assert.isTrue(r.before.activeBp < 300, `active ${r.before.activeBp}`)
      // while both regions are hot, both are activated
      assert.isTrue(r.activeBp[1]! > 9000, `t=2s ${r.activeBp[1]}`)
      // once `cold` has been idle for cold_min_age, it is deactivated; `hot` stays active
      assert.isTrue(r.hotActive > HOT - 64 * 1024, `hot active ${r.hotActive / MiB} MiB`)
      assert.isTrue(r.coldActive < 1 * MiB, `cold active ${r.coldActive / MiB} MiB`)
      const hotShare = (HOT * 10_000) / (HOT + COLD)
      assert.isTrue(Math.abs(r.end - hotShare) < 300, `end ${r.end} vs ${hotShare}`)
      assert.isTrue(r.stats.hot.bytesApplied >= HOT && r.stats.cold.bytesApplied >= COLD)
      assert.isTrue(r.stats.hot.nrApplied <= r.stats.hot.nrTried && r.stats.cold.nrApplied <= r.stats.cold.nrTried)
    }))

  it.effect("active_mem_bp steers the cold scheme: deactivation stops near the goal", () =>
    Effect.gen(function*() {
      for (const goal of [8000, 9000]) {
        const r = yield* run(warmThenHot, 224 * MiB, { activeMemBp: goal })
        assert.isTrue(Math.abs(r.end - goal) < 300, `goal ${goal}: end ${r.end} (${r.activeBp.join(" ")})`)
        assert.isTrue(r.coldActive > 16 * MiB, "part of the cold region stays active")
      }
    }))

  it.effect("active_mem_bp steers the hot scheme: promotion slows down and stops once the goal is met", () =>
    Effect.gen(function*() {
      const free = yield* run(hotOnly, 224 * MiB, {})
      const steered = yield* run(hotOnly, 224 * MiB, { activeMemBp: 2000 })
      assert.isTrue(free.end > 6000, `no goal: ${free.end}`)
      assert.isTrue(steered.end >= 2000 && steered.end < 3600, `goal 2000: ${steered.end} (${steered.activeBp.join(" ")})`)
      // the goal is reached gradually (the quota ramps up from nothing), then the level holds
      assert.isTrue(steered.activeBp[0]! < 1000)
      assert.strictEqual(steered.activeBp.at(-1), steered.activeBp.at(-5))
      assert.isTrue(steered.hotActive < 0.6 * HOT)
    }))

  it.effect("stays idle while free memory is above the high watermark", () =>
    Effect.gen(function*() {
      const r = yield* run(warmThenHot, 1024 * MiB, {})
      assert.isTrue(r.before.freePermil > 200)
      assert.strictEqual(r.stats.hot.nrTried + r.stats.cold.nrTried, 0)
      assert.isTrue(Math.abs(r.end - r.before.activeBp) < 50, `${r.before.activeBp} -> ${r.end}`)
    }))
})
