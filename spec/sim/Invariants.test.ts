import { describe, it } from "@effect/vitest"
import { assert } from "../support/loopAssert.ts"
import { makeRng } from "../../src/core/Rng.ts"
import { makeChain } from "../../src/ops/FolioFilter.ts"
import { HUGE_PAGE_SIZE, PAGE_SIZE, type PageExtent } from "../../src/sim/PageExtent.ts"
import { makeOutcome, type MemAction } from "../../src/ops/AddressSpace.ts"
import type { SimMachine } from "../../src/sim/SimMachine.ts"
import { cfg, GiB, machineOf, MiB } from "./support.ts"

const PID = 42
const workload = cfg(`hot, ${64 * MiB}\nwarm, ${16 * MiB + 12288}\ncold, ${32 * MiB}\n\np\n300\nhot, 0, 4096, 4\nwarm, 1, 8192, 1\n\nq\n200\ncold, 0, 65536, 1\n`)
const actions: ReadonlyArray<MemAction> = [
  "pageout",
  "deactivate",
  "activate",
  "willneed",
  "hugepage",
  "collapse",
  "nohugepage",
  "migrate",
  "stat"
]

const checkInvariants = (m: SimMachine, nowUs: number) => {
  const p = m.process(PID)!
  const all: Array<PageExtent> = []
  let owned = 0
  const vmas = p.vmasAt(nowUs)
  for (let i = 0; i < p.extents.length; i++) {
    const e = p.extents[i]!
    all.push(e)
    owned += e.vEnd - e.vStart
    assert.isBelow(e.vStart, e.vEnd)
    assert.strictEqual(e.vStart % PAGE_SIZE, 0)
    assert.strictEqual(e.vEnd % PAGE_SIZE, 0)
    if (i > 0) assert.isAtMost(p.extents[i - 1]!.vEnd, e.vStart, "sorted, non-overlapping")
    assert.isTrue(vmas.some((v) => v.start <= e.vStart && e.vEnd <= v.end), "inside a mapping")
    assert.isTrue(e.resident >= 0 && e.resident <= 1)
    assert.isTrue(e.active >= 0 && e.active <= 1)
    assert.strictEqual((e.pStart - e.vStart) % HUGE_PAGE_SIZE, 0, "2 MiB congruent frames")
    assert.strictEqual(m.metrics.nodeOfAddr(e.pStart), e.nid)
    assert.strictEqual(m.metrics.nodeOfAddr(e.pStart + (e.vEnd - e.vStart) - 1), e.nid)
    if (e.huge) {
      assert.strictEqual(e.vStart % HUGE_PAGE_SIZE, 0)
      assert.strictEqual(e.vEnd % HUGE_PAGE_SIZE, 0)
      assert.strictEqual(e.resident, 1)
    }
  }
  // Every mapped byte has a frame; frames are disjoint; free + owned = RAM.
  let mapped = 0
  for (const v of vmas) mapped += v.end - v.start
  assert.strictEqual(owned, mapped)
  all.sort((a, b) => a.pStart - b.pStart)
  for (let i = 1; i < all.length; i++) {
    assert.isAtMost(all[i - 1]!.pStart + (all[i - 1]!.vEnd - all[i - 1]!.vStart), all[i]!.pStart, "frames disjoint")
  }
  assert.strictEqual(m.unallocatedBytes() + owned, m.totalBytes)
  assert.isAtMost(m.usedBytes(nowUs), m.totalBytes)
}

describe("SimMachine invariants under random action sequences (seeded)", () => {
  // 25 seeds x 60 random actions, every invariant checked after each (some 0.2 s of CPU): every
  // action kind meets every extent kind (anon/file, huge/base, resident/paged out) many times.
  it("keeps extents, frames and counters consistent", () => {
    for (let seed = 1; seed <= 25; seed++) {
      const rng = makeRng(seed)
      const at = 0x600000000000
      const m = machineOf(workload, {
        seed,
        ramBytes: GiB,
        events: [
          { atUs: 3_000_000, kind: "mmap", range: { start: at, end: at + 8 * MiB } },
          { atUs: 6_000_000, kind: "munmap", range: { start: at + 2 * MiB, end: at + 4 * MiB + 8192 } }
        ]
      })
      const p = m.process(PID)!
      let now = 0
      let psi = 0
      let refaults = 0
      for (let step = 0; step < 60; step++) {
        now += rng.rand(1, 400_000)
        m.advance(now)
        const vmas = p.vmasAt(now)
        const v = vmas[rng.rand(0, vmas.length)]!
        const len = v.end - v.start
        const a = v.start + Math.floor(rng.float() * len / PAGE_SIZE) * PAGE_SIZE
        const b = Math.min(v.end + 3 * PAGE_SIZE, a + PAGE_SIZE * rng.rand(1, 4096))
        const action = actions[rng.rand(0, actions.length)]!
        const filters = rng.float() < 0.5 ? [] : [{ type: "young" as const, matching: rng.float() < 0.5, allow: rng.float() < 0.5 }]
        const out = makeOutcome()
        const req = {
          action,
          chain: action === "stat" || action === "migrate" || rng.float() < 0.3 ? makeChain(filters, false, false) : null,
          targetNid: rng.rand(-1, 3),
          dests: rng.float() < 0.3 ? [{ nid: 0, weight: rng.rand(0, 4) }, { nid: 1, weight: rng.rand(0, 4) }] : [],
          splitThp: rng.float() < 0.5,
          skipFolio: -1
        }
        if (rng.float() < 0.3) {
          const pa = m.translate(PID, a)
          if (pa !== undefined) m.applyPhysical(pa, pa + (b - a), req, now, out)
        } else {
          m.applyVirtual(PID, a, b, req, now, out)
        }
        assert.isAtLeast(out.affectedBytes, 0)
        assert.strictEqual(out.affectedBytes % PAGE_SIZE, 0)
        checkInvariants(m, now)
        const psiNow = m.metrics.someMemPsiTotalUs(now)
        const refNow = m.refaultPages(now)
        assert.isAtLeast(psiNow, psi, "PSI is monotonic")
        assert.isAtLeast(refNow, refaults - 1e-9, "refaults are monotonic")
        psi = psiNow
        refaults = refNow
      }
    }
  })
})
