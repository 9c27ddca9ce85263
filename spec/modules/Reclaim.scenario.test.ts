/**
 * DAMON_RECLAIM on the simulated machine, in virtual time: a workload with a small hot region and
 * a big cold one. Under the watermarks it pages the cold memory out (oldest first, under its
 * quotas) and leaves the hot memory resident; above the high watermark it stays idle.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { SimMachine } from "effect-damon/sim"
import { DamonReclaim } from "../../src/modules/DamonReclaim.ts"
import type { ReclaimParamsInput } from "../../src/modules/ReclaimParams.ts"
import { MiB, PID, regionBytes, stack, unwrap, workload } from "./support.ts"

const HOT = 16 * MiB
const COLD = 192 * MiB
const END_US = 30_000_000
const hotCold = workload(`hot, ${HOT}\ncold, ${COLD}\n\nrun\n1000000\nhot, 1, 4096, 1\n`)

const machineWith = (ramBytes: number) =>
  unwrap(SimMachine.SimMachine.withMasim(hotCold, { seed: 1, pid: PID, nrNodes: 1, ramBytes }))

const resident = (e: { readonly resident: number }) => e.resident

/** Enables DAMON_RECLAIM with `params` for 30 s of virtual time; returns the machine's view and the stats. */
const run = (ramBytes: number, params: ReclaimParamsInput) => {
  const machine = machineWith(ramBytes)
  return Effect.gen(function*() {
    const m = yield* DamonReclaim
    const before = { used: machine.usedBytes(0), freePermil: machine.freeMemRatePermil(0) }
    yield* m.set(params)
    yield* m.enable
    const reason = yield* (yield* m.kdamond)!.join
    assert.strictEqual(reason._tag, "TimeLimit")
    assert.isFalse(yield* m.enabled)
    return {
      before,
      used: machine.usedBytes(END_US),
      freePermil: machine.freeMemRatePermil(END_US),
      hot: regionBytes(machine, 0, END_US, resident),
      cold: regionBytes(machine, 1, END_US, resident),
      refaultPages: machine.refaultPages(END_US),
      stats: yield* m.stats,
      text: yield* m.read("bytes_reclaimed_regions")
    }
  }).pipe(Effect.provide(stack(machine, { time: "virtual", start: { seed: 1, stopAtUs: END_US } })))
}

describe("DAMON_RECLAIM scenarios", () => {
  it.effect("pages out cold memory while free memory is under the watermarks, until it crosses wmarks_high", () =>
    Effect.gen(function*() {
      const r = yield* run(320 * MiB, { minAgeUs: 2_000_000 })
      // free memory starts between wmarks_low (200) and wmarks_high (500): the scheme is active
      assert.isTrue(r.before.freePermil > 200 && r.before.freePermil < 400, `free ${r.before.freePermil}`)
      // used memory drops until free memory passes the high watermark, then the scheme deactivates
      assert.isTrue(r.used < r.before.used - 48 * MiB, `used ${r.before.used / MiB} -> ${r.used / MiB} MiB`)
      assert.isTrue(r.freePermil >= 500, `free ${r.freePermil}`)
      assert.isTrue(r.freePermil < 600, "no more than needed to cross the high watermark (plus one window)")
      // the hot region stays resident and nothing comes back
      assert.strictEqual(r.hot, HOT)
      assert.strictEqual(r.refaultPages, 0)
      // the stats count exactly what was reclaimed
      assert.isTrue(Math.abs(r.stats.bytesApplied - (r.before.used - r.used)) <= 64 * 1024, `${r.stats.bytesApplied}`)
      assert.strictEqual(r.text, `${r.stats.bytesApplied}\n`)
      assert.isTrue(r.stats.nrApplied > 0 && r.stats.nrApplied <= r.stats.nrTried)
      assert.isTrue(r.stats.bytesTried >= r.stats.bytesApplied)
    }))

  it.effect("without the high watermark's stop it reclaims all the cold memory, within the quotas", () =>
    Effect.gen(function*() {
      const r = yield* run(320 * MiB, { minAgeUs: 2_000_000, wmarksHigh: 1000 })
      assert.isTrue(r.cold < 1 * MiB, `cold resident ${r.cold / MiB} MiB`)
      assert.strictEqual(r.hot, HOT)
      assert.strictEqual(r.refaultPages, 0)
      assert.isTrue(r.stats.bytesApplied >= COLD - 1 * MiB)
      // 192 MiB does not fit one window of the 128 MiB (and 10 ms) quota
      assert.isTrue(r.stats.nrQuotaExceeds > 0)
    }))

  it.effect("skip_anon keeps anonymous cold memory; only the idle file-backed pages (program, libraries) go", () =>
    Effect.gen(function*() {
      const r = yield* run(320 * MiB, { minAgeUs: 2_000_000, wmarksHigh: 1000, skipAnon: true })
      assert.isTrue(r.stats.nrTried > 0)
      assert.strictEqual(r.cold, COLD)
      assert.strictEqual(r.hot, HOT)
      assert.isTrue(r.stats.bytesApplied > 0 && r.stats.bytesApplied < 4 * MiB, `${r.stats.bytesApplied}`)
      assert.isTrue(Math.abs(r.before.used - r.used - r.stats.bytesApplied) <= 64 * 1024)
    }))

  it.effect("quota_autotune_feedback above its 10,000 aim shrinks the effective quota to the minimum", () =>
    Effect.gen(function*() {
      const r = yield* run(320 * MiB, { minAgeUs: 2_000_000, wmarksHigh: 1000, quotaAutotuneFeedback: 30_000 })
      // one minimum region (a page) per 1 s quota window
      assert.isTrue(r.stats.bytesApplied > 0 && r.stats.bytesApplied <= 32 * 4096, `${r.stats.bytesApplied}`)
      assert.isTrue(r.cold > COLD - 1 * MiB)
      assert.isTrue(r.stats.nrQuotaExceeds > 0)
    }))

  it.effect("stays idle while free memory is above the high watermark", () =>
    Effect.gen(function*() {
      const r = yield* run(1024 * MiB, { minAgeUs: 2_000_000 })
      assert.isTrue(r.before.freePermil > 500, `free ${r.before.freePermil}`)
      assert.deepStrictEqual(r.stats, { nrTried: 0, bytesTried: 0, nrApplied: 0, bytesApplied: 0, nrQuotaExceeds: 0 })
      assert.strictEqual(r.used, r.before.used)
      assert.strictEqual(r.cold, COLD)
    }))

  it.effect("min_age protects memory idle for less than it", () =>
    Effect.gen(function*() {
      const r = yield* run(320 * MiB, { minAgeUs: 60_000_000, wmarksHigh: 1000 })
      assert.strictEqual(r.stats.nrTried, 0)
      assert.strictEqual(r.cold, COLD)
    }))
})
