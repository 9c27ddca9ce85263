import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import { threeRegions } from "../../src/core/ThreeRegions.ts"
import { layoutProcess, STACK_TOP, type Vma } from "../../src/sim/ProcessLayout.ts"
import { SimProcess } from "../../src/sim/SimProcess.ts"
import { cfg, GiB, MiB, PAGE, shipped } from "./support.ts"

const gaps = (vmas: ReadonlyArray<Vma>) => {
  const out: Array<{ start: number; end: number }> = []
  for (let i = 1; i < vmas.length; i++) out.push({ start: vmas[i - 1]!.end, end: vmas[i]!.start })
  return out.sort((a, b) => b.end - b.start - (a.end - a.start))
}

describe("layoutProcess", () => {
  it("places heap-to-mmap and mmap-to-stack as the two biggest gaps, over many seeds", () => {
    const config = shipped("zigzag")
    for (let seed = 0; seed < 50; seed++) {
      const { vmas, regionStart } = layoutProcess(config, makeRng(seed))
      const heap = vmas.find((v) => v.name === "[heap]")!
      const stack = vmas.find((v) => v.name === "[stack]")!
      assert.isAtMost(stack.end, STACK_TOP)
      assert.isAbove(stack.end, STACK_TOP - 8 * MiB)
      const [g1, g2] = gaps(vmas)
      const byAddr = [g1!, g2!].sort((a, b) => a.start - b.start)
      assert.strictEqual(byAddr[0]!.start, heap.end)
      assert.strictEqual(byAddr[1]!.end, stack.start)
      // Workload regions: in order, page aligned, 2 MiB aligned when large, non-overlapping.
      for (let i = 0; i < regionStart.length; i++) {
        assert.strictEqual(regionStart[i]! % (2 * MiB), 0)
        if (i > 0) assert.isAbove(regionStart[i]!, regionStart[i - 1]! + config.regions[i - 1]!.size)
      }
    }
  })

  it("puts every workload region inside the middle of the three regions", () => {
    for (const name of ["stairs", "zigzag", "default", "100mb"]) {
      const config = shipped(name)
      const { vmas, regionStart } = layoutProcess(config, makeRng(3))
      const three = threeRegions(vmas, PAGE)!
      config.regions.forEach((r, i) => {
        assert.isAtLeast(regionStart[i]!, three[1].start, name)
        assert.isAtMost(regionStart[i]! + r.size, three[1].end, name)
      })
    }
  })

  it("is deterministic for a seed (ASLR-like jitter otherwise)", () => {
    const config = shipped("stairs")
    assert.deepStrictEqual(layoutProcess(config, makeRng(9)), layoutProcess(config, makeRng(9)))
    assert.notDeepEqual(layoutProcess(config, makeRng(9)).regionStart, layoutProcess(config, makeRng(10)).regionStart)
  })

  it("fits a 1 TiB workload and refuses one that cannot fit", () => {
    const big = layoutProcess(cfg(`a, ${1024 * GiB}\n\np\n1\na, 1, 64, 1\n`), makeRng(1))
    assert.strictEqual(big.vmas.find((v) => v.regionIdx === 0)!.end - big.regionStart[0]!, 1024 * GiB)
    assert.throws(() => layoutProcess(cfg(`a, ${50_000 * GiB}\n\np\n1\na, 1, 64, 1\n`), makeRng(1)))
  })
})

describe("SimProcess", () => {
  const config = shipped("zigzag")
  const at = 0x600000000000

  it("changes its mappings with mmap and munmap events", () => {
    const p = new SimProcess(
      {
        pid: 7,
        workload: config,
        events: [
          { atUs: 1_000_000, kind: "mmap", range: { start: at, end: at + 64 * MiB }, name: "new" },
          { atUs: 2_000_000, kind: "munmap", range: { start: at + 16 * MiB, end: at + 32 * MiB } }
        ]
      },
      makeRng(1)
    )
    const before = p.vmasAt(999_999)
    assert.isUndefined(before.find((v) => v.name === "new"))
    const added = p.vmasAt(1_000_000).filter((v) => v.name === "new")
    assert.deepStrictEqual(added.map((v) => [v.start, v.end]), [[at, at + 64 * MiB]])
    const split = p.vmasAt(5_000_000).filter((v) => v.name === "new")
    assert.deepStrictEqual(split.map((v) => [v.start, v.end]), [
      [at, at + 16 * MiB],
      [at + 32 * MiB, at + 64 * MiB]
    ])
    assert.strictEqual(p.vmasAt(5_000_000).length, before.length + 2)
  })

  it("lives from start to exit; without loop it exits after the last phase", () => {
    const looping = new SimProcess({ pid: 1, workload: config, startUs: 100 }, makeRng(1))
    assert.isFalse(looping.isAlive(99))
    assert.isTrue(looping.isAlive(1e12))
    assert.deepStrictEqual(looping.vmasAt(50), [])
    const once = new SimProcess({ pid: 2, workload: config, loop: false }, makeRng(1))
    assert.strictEqual(once.exitUs, 70_000_000)
    assert.isTrue(once.isAlive(69_999_999))
    assert.isFalse(once.isAlive(70_000_000))
    const killed = new SimProcess({ pid: 3, workload: config, exitUs: 5_000 }, makeRng(1))
    assert.strictEqual(killed.exitUs, 5_000)
  })
})
