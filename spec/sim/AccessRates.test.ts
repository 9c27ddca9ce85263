import { assert, describe, it } from "@effect/vitest"
import { compileRates } from "../../src/sim/AccessRates.ts"
import { PhaseSchedule } from "../../src/sim/PhaseSchedule.ts"
import { cfg, MiB } from "./support.ts"

const compile = (text: string, throughput = 1e6) => {
  const config = cfg(text)
  const sizes = Float64Array.from(config.regions, (r) => r.size)
  const schedule = new PhaseSchedule(config.phases.map((p) => p.durationMs), true)
  return { rates: compileRates(config, throughput, sizes, schedule.phaseStartUs), schedule }
}

describe("compileRates", () => {
  it("shares the throughput by weight; random patterns of one region and stride are one stream", () => {
    // 1e6 accesses/s = 1 per µs: weights 1 + 3 + 4 of 8.
    const { rates } = compile(`a, ${MiB}\nb, ${MiB}\n\np\n100\na, 1, 4096, 1\na, 1, 4096, 3\nb, 0, 8192, 4\n`)
    assert.strictEqual(rates.nStreams, 1)
    assert.strictEqual(rates.streamSlots[0], 256)
    assert.strictEqual(rates.streamInv[0], 1 / 4096)
    // Per slot: half the throughput over 256 slots.
    assert.closeTo(rates.streamRate[0]!, 0.5 / 256, 1e-15)
    assert.strictEqual(rates.nCursors, 1)
    assert.deepStrictEqual([rates.curStride[0], rates.curSlots[0], rates.curRate[0]], [8192, 128, 0.5])
  })

  it("indexes streams by region and cursors by phase and region", () => {
    const { rates } = compile(
      `a, ${MiB}\nb, ${MiB + 100}\n\np\n100\nb, 1, 3000, 1\na, 0, 4096, 1\n\nq\n50\nb, 0, 65536, 1\nb, 0, 4096, 1\na, 1, 4096, 0\n`
    )
    const streamsOf = (r: number) => [...rates.regionStreams.slice(rates.regionStreamOff[r]!, rates.regionStreamOff[r + 1]!)]
    assert.deepStrictEqual(streamsOf(0), [1])
    assert.deepStrictEqual(streamsOf(1), [0])
    // A non-power-of-two stride divides; slots are whole strides of the region.
    assert.strictEqual(rates.streamInv[0], 0)
    assert.strictEqual(rates.streamSlots[0], Math.floor((MiB + 100) / 3000))
    // A zero-weight pattern gets no rate.
    assert.strictEqual(rates.streamRate[1 * 2 + 1], 0)
    const cursorsOf = (p: number, r: number) => [...rates.prCurs.slice(rates.prCurOff[p * 2 + r]!, rates.prCurOff[p * 2 + r + 1]!)]
    assert.deepStrictEqual(cursorsOf(0, 0).map((c) => rates.curStride[c]), [4096])
    assert.deepStrictEqual(cursorsOf(0, 1), [])
    assert.deepStrictEqual(cursorsOf(1, 1).map((c) => rates.curStride[c]), [65536, 4096])
    // Sequential slots round up (masim wraps at the region end).
    assert.strictEqual(rates.curSlots[cursorsOf(1, 1)[0]!], Math.ceil((MiB + 100) / 65536))
  })

  it("integrates each stream's rate over the phases", () => {
    const { rates, schedule } = compile(`a, ${MiB}\n\np\n100\na, 1, 4096, 1\n\nq\n300\na, 0, 4096, 1\n\nr\n50\na, 1, 4096, 1\n`)
    const perSlot = 1 / 256
    assert.deepStrictEqual([...rates.streamCum], [0, 100_000 * perSlot, 100_000 * perSlot, 150_000 * perSlot])
    assert.strictEqual(schedule.cycleUs, 450_000)
  })

  it("gives a stride longer than its region no slots and no rate", () => {
    const { rates } = compile(`a, 4096\n\np\n10\na, 1, 8192, 1\n`)
    assert.deepStrictEqual([rates.streamSlots[0], rates.streamRate[0]], [0, 0])
  })
})
