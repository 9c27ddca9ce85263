import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import type { MapEvent, Vma } from "../../src/sim/ProcessLayout.ts"
import { ProcessTimeline, type TimelineSink } from "../../src/sim/ProcessTimeline.ts"
import { type ProcessSpec, SimProcess } from "../../src/sim/SimProcess.ts"
import { cfg, MiB } from "./support.ts"

const workload = cfg(`a, ${4 * MiB}\n\np\n1000\na, 0, 4096, 1\n`)
const proc = (spec: Omit<ProcessSpec, "workload">): SimProcess => new SimProcess({ ...spec, workload }, makeRng(spec.pid))
const AT = 0x600000000000

type Call = readonly ["map", number, number, number] | readonly ["unmap", number, number, number] | readonly ["elapsed", number, number]

/** A sink that records what the timeline asks for (mappings by pid and start address). */
const recorder = () => {
  const calls: Array<Call> = []
  const sink: TimelineSink = {
    elapsed: (fromUs, toUs) => calls.push(["elapsed", fromUs, toUs]),
    map: (p, v: Vma, atUs) => calls.push(["map", p.pid, v.start, atUs]),
    unmap: (p, start, end) => calls.push(["unmap", p.pid, start, end])
  }
  const changes = () => calls.filter((c) => c[0] !== "elapsed")
  return { calls, sink, changes }
}

describe("ProcessTimeline", () => {
  it("does nothing before the first advance, then maps the processes due, by pid", () => {
    const r = recorder()
    const b = proc({ pid: 7 })
    const a = proc({ pid: 3 })
    const t = new ProcessTimeline([b, a], r.sink)
    assert.strictEqual(t.nowUs, Number.NEGATIVE_INFINITY)
    assert.deepStrictEqual(r.calls, [])
    assert.deepStrictEqual(t.processes().map((p) => p.pid), [3, 7])
    assert.strictEqual(t.process(7), b)
    assert.isUndefined(t.process(null))
    assert.isUndefined(t.process(8))
    t.advance(0)
    // No time elapsed before the first time; every initial mapping of pid 3, then of pid 7.
    const expected: Array<Call> = [
      ...a.initialVmas.map((v): Call => ["map", 3, v.start, 0]),
      ...b.initialVmas.map((v): Call => ["map", 7, v.start, 0])
    ]
    assert.deepStrictEqual(r.calls, expected)
    assert.strictEqual(t.nowUs, 0)
  })

  it("applies a later start, mapping events and the exit when time passes them", () => {
    const r = recorder()
    const events: ReadonlyArray<MapEvent> = [
      { atUs: 500, kind: "mmap", range: { start: AT, end: AT + MiB } },
      { atUs: 700, kind: "munmap", range: { start: AT, end: AT + MiB } }
    ]
    const p = proc({ pid: 5, startUs: 100, exitUs: 900, events })
    const t = new ProcessTimeline([p], r.sink)
    t.advance(50)
    assert.deepStrictEqual(r.changes(), [])
    t.advance(600)
    assert.deepStrictEqual(r.changes(), [
      ...p.initialVmas.map((v): Call => ["map", 5, v.start, 100]),
      // mmap replaces (MAP_FIXED): unmap the range, then map the new mapping.
      ["unmap", 5, AT, AT + MiB],
      ["map", 5, AT, 500]
    ])
    r.calls.length = 0
    t.advance(900)
    assert.deepStrictEqual(r.calls, [
      ["elapsed", 600, 900],
      ["unmap", 5, AT, AT + MiB],
      ["unmap", 5, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]
    ])
  })

  it("ignores earlier and equal times, and never applies a change twice", () => {
    const r = recorder()
    const t = new ProcessTimeline([proc({ pid: 1, exitUs: 1000 })], r.sink)
    t.advance(2000)
    const n = r.calls.length
    t.advance(2000)
    t.advance(10)
    t.advance(Number.NaN)
    assert.strictEqual(r.calls.length, n)
    assert.strictEqual(t.nowUs, 2000)
  })

  it("applies an event due before its process starts at the start, after the initial mappings", () => {
    const r = recorder()
    const p = proc({ pid: 2, startUs: 300, events: [{ atUs: 10, kind: "munmap", range: { start: AT, end: AT + MiB } }] })
    new ProcessTimeline([p], r.sink).advance(300)
    const last = r.changes().at(-1)!
    assert.deepStrictEqual(last, ["unmap", 2, AT, AT + MiB])
    assert.strictEqual(r.changes().length, p.initialVmas.length + 1)
  })

  it("drives the same changes and tiles time the same way whatever the steps (seeded)", () => {
    const spec = (): ReadonlyArray<SimProcess> => [
      proc({ pid: 4, startUs: 1500, exitUs: 8000 }),
      proc({
        pid: 2,
        events: [
          { atUs: 2500, kind: "mmap", range: { start: AT, end: AT + 2 * MiB } },
          { atUs: 2500, kind: "munmap", range: { start: AT, end: AT + MiB } },
          { atUs: 6000, kind: "munmap", range: { start: AT + MiB, end: AT + 2 * MiB } }
        ]
      }),
      proc({ pid: 9, startUs: 2500, exitUs: 2500 })
    ]
    const reference = recorder()
    const ref = new ProcessTimeline(spec(), reference.sink)
    ref.advance(0)
    ref.advance(10_000)
    const rng = makeRng(11)
    for (let run = 0; run < 40; run++) {
      const r = recorder()
      const t = new ProcessTimeline(spec(), r.sink)
      let now = 0
      t.advance(0)
      while (now < 10_000) {
        // Steps of any size, sometimes backwards (ignored).
        now = Math.min(10_000, now + rng.rand(0, 3000))
        t.advance(rng.rand(0, 4) === 0 ? now - rng.rand(1, 500) : now)
      }
      t.advance(10_000)
      assert.deepStrictEqual(r.changes(), reference.changes())
      // Elapsed intervals are contiguous and cover [0, 10000].
      const spans = r.calls.filter((c) => c[0] === "elapsed")
      let at = 0
      for (const s of spans) {
        assert.strictEqual(s[1], at)
        assert.isAbove(s[2], s[1] as number)
        at = s[2] as number
      }
      assert.strictEqual(at, 10_000)
    }
  })
})
