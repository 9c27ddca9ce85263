import { assert, describe, it } from "@effect/vitest"
import { Rng } from "effect-damon"
import type { MonitorEvent } from "../../src/engine/Events.ts"
import { decodeMessage, encodeEvent, makeSseParser } from "../../src/http/EventsCodec.ts"

const aggregated: MonitorEvent = {
  _tag: "Aggregated",
  seq: 7,
  atUs: 300_000,
  sis: 60,
  nrAggregations: 3,
  sampleIntervalUs: 5000,
  aggrIntervalUs: 100_000,
  targets: [{ index: 0, pid: 42, regions: [{ start: 4096, end: 8192, nrAccesses: 3, nrAccessesBp: 30000, lastNrAccesses: 2, age: 5 }] }]
}
const events: ReadonlyArray<MonitorEvent> = [
  { _tag: "Started", seq: 1, kdamond: 0, atUs: 0, worldUs: 12 },
  aggregated,
  { _tag: "Stopped", seq: 9, atUs: 400_000, reason: { _tag: "TimeLimit", atUs: 400_000 } }
]

describe("events endpoint codec", () => {
  it("encodes started, aggregated and stopped as server-sent events that decode back", () => {
    const text = events.map((e) => encodeEvent(e)!).join("")
    const decoded = makeSseParser().feed(text).map(decodeMessage)
    assert.deepStrictEqual(decoded, [
      { _tag: "Started", seq: 1, kdamond: 0, worldUs: 12 },
      { _tag: "Aggregated", seq: 7, atUs: 300_000, nrAggregations: 3, sampleIntervalUs: 5000, aggrIntervalUs: 100_000, targets: [{ index: 0, pid: 42, regions: [[4096, 8192, 3, 5]] }] },
      { _tag: "Stopped", seq: 9, atUs: 400_000, reason: "TimeLimit" }
    ])
    assert.isUndefined(encodeEvent({ _tag: "Sampled", seq: 2, atUs: 5000, sis: 1, maxNrAccesses: 0 }))
  })

  it("the parser gives the same messages however the stream is cut into chunks (seeded)", () => {
    const text = `: comment\r\n${events.map((e) => encodeEvent(e)!).join("")}event: x\ndata: {"a":1}\ndata: 2\n\n`
    const whole = makeSseParser().feed(text)
    assert.strictEqual(whole.length, 4)
    assert.strictEqual(whole[3]!.data, "{\"a\":1}\n2")
    const rng = Rng.makeRng(5)
    for (let run = 0; run < 200; run++) {
      const p = makeSseParser()
      const out = []
      let i = 0
      while (i < text.length) {
        const n = rng.rand(1, 40)
        out.push(...p.feed(text.slice(i, i + n)))
        i += n
      }
      assert.deepStrictEqual(out, whole)
    }
  })

  it("bad data is described, not thrown", () => {
    assert.strictEqual(decodeMessage({ event: "aggregated", data: "{" }), "event aggregated: data is not JSON")
    assert.strictEqual(decodeMessage({ event: "aggregated", data: "{}" }), "event aggregated: missing fields")
    assert.strictEqual(decodeMessage({ event: "nope", data: "{}" }), "unknown event nope")
  })
})
