/**
 * damo's record files both ways: damo's own record JSON decodes (also zlib-compressed, as
 * `json_compressed`), records written then read give the same snapshots, the incremental writer
 * leaves a valid file when its scope closes early (an interrupted recording), a recording of a
 * running kdamond's `Aggregated` events reads back as the events, and bad files are refused with
 * an error naming what is wrong.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Result, Stream } from "effect"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { deflateSync, inflateSync } from "node:zlib"
import { Damon, OpsRegistry, World } from "effect-damon"
import { makeRng } from "../../src/core/Rng.ts"
import { type DamonRecord, decodeRecords, encodeRecords, headersOf, type RecordSnapshot, snapshotOf } from "../../src/damo/Record.ts"
import { openRecordWriter, readRecordFile, writeRecordFile } from "../../src/damo/RecordFile.ts"
import type { MonitorEvent } from "../../src/engine/Events.ts"
import { makeFakeOps } from "../support/FakeOps.ts"

const fixtureText = readFileSync(new URL("../fixtures/damo-record.json", import.meta.url), "utf8")
const dir = mkdtempSync(join(tmpdir(), "effect-damon-record-"))
let n = 0
const tmp = (name: string) => join(dir, `${n++}-${name}`)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const interval = { sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000, goal: { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 } }

const genRecords = (seed: number): Array<DamonRecord> => {
  const rng = makeRng(seed)
  return Array.from({ length: rng.rand(1, 4) }, (_, i) => {
    let t = BigInt(rng.rand(0, 2 ** 40)) * 1000n
    const snapshots: Array<RecordSnapshot> = Array.from({ length: rng.rand(0, 6) }, () => {
      let addr = rng.rand(0, 2 ** 45)
      const regions = Array.from({ length: rng.rand(0, 8) }, () => {
        const start = addr
        addr += rng.rand(1, 2 ** 30)
        return { start, end: addr, nrAccesses: rng.rand(0, 21), age: rng.rand(0, 100_000), szFilterPassed: rng.rand(0, 2) * (addr - start) }
      })
      const startNs = t
      t += 100_000_000n
      return { startNs, endNs: t, regions, totalBytes: regions.reduce((a, r) => a + r.end - r.start, 0) }
    })
    return {
      kdamondIdx: rng.rand(0, 2) === 0 ? null : rng.rand(0, 3),
      contextIdx: 0,
      intervals: rng.rand(0, 4) === 0 ? null : interval,
      schemeIdx: rng.rand(0, 2) === 0 ? null : i,
      targetId: rng.rand(0, 2) === 0 ? BigInt(i) : 18446623435582458880n + BigInt(i),
      schemeFilters: rng.rand(0, 2) === 0 ? [] : [{ filter_type: "anon", matching: true, allow: false }],
      snapshots
    }
  })
}

describe("Record", () => {
  it("damo's record JSON decodes: big target ids exactly, human sizes and counts, times in ns", () => {
    const records = Result.getOrThrow(decodeRecords(fixtureText))
    assert.strictEqual(records.length, 1)
    const r = records[0]!
    assert.strictEqual(r.targetId, 18446623435582458880n)
    assert.deepStrictEqual(r.intervals, interval)
    assert.deepStrictEqual([r.kdamondIdx, r.contextIdx, r.schemeIdx], [null, null, null])
    assert.deepStrictEqual(r.snapshots.map((s) => [s.startNs, s.endNs, s.totalBytes]), [
      [82877215633000n, 82877315633000n, 11452416],
      [82877315633000n, 82877415633000n, 11452416]
    ])
    assert.deepStrictEqual(r.snapshots[0]!.regions, [
      { start: 140731667070976, end: 140731668037632, nrAccesses: 0, age: 3, szFilterPassed: 0 },
      { start: 140731668037632, end: 140731678523392, nrAccesses: 18, age: 1234, szFilterPassed: 0 }
    ])
  })

  it("integers past 2^53 decode exactly from 16 digits on; shorter ones (always safe) as they are", () => {
    const targetIdOf = (literal: string) =>
      Result.getOrThrow(decodeRecords(fixtureText.replace("18446623435582458880", literal)))[0]!.targetId
    // 2^53 + 1 is the shortest integer a double cannot hold; parsed with the reviver
    assert.strictEqual(targetIdOf("9007199254740993"), 9007199254740993n)
    assert.strictEqual(targetIdOf("-9007199254740993"), -9007199254740993n)
    // no run of 16 digits in the text: plain JSON.parse, the same values
    assert.strictEqual(targetIdOf("999999999999999"), 999999999999999n)
    assert.notMatch(fixtureText.replace("18446623435582458880", "999999999999999"), /\d{16}/)
  })

  it("every form damo may write a region's numbers in reads as the plain form; a bad one anywhere names its field", () => {
    // Regions in the plain form (numbers or digit strings) are read without building a JSON path
    // per field; any other form goes the long way. Both must agree, and both must refuse alike.
    const doc = (region: Record<string, unknown>) =>
      JSON.stringify([{
        intervals: { sample_us: "5000", aggr_us: "100000", ops_update_us: "1000000" },
        target_id: 0,
        snapshots: [{ start_time: "0", end_time: "100000000", regions: [region] }]
      }])
    const region = (fields: { start?: unknown; end?: unknown; samples?: unknown; percent?: unknown; usec?: unknown; aggrs?: unknown; sz?: unknown }) => ({
      start: fields.start ?? "4096",
      end: fields.end ?? "1048576",
      nr_accesses: { samples: fields.samples ?? (fields.percent === undefined ? "7" : null), percent: fields.percent ?? null },
      age: { usec: fields.usec ?? null, aggr_intervals: fields.aggrs ?? (fields.usec === undefined ? "12" : null) },
      ...(fields.sz === undefined ? {} : { sz_filter_passed: fields.sz })
    })
    const read = (r: Record<string, unknown>) => decodeRecords(doc(r))
    const plain = { start: 4096, end: 1048576, nrAccesses: 7, age: 12, szFilterPassed: 0 }
    const same: ReadonlyArray<readonly [string, Record<string, unknown>, typeof plain]> = [
      ["plain digit strings", region({}), plain],
      ["JSON numbers", region({ start: 4096, end: 1048576, samples: 7, aggrs: 12, sz: 0 }), plain],
      ["fractions truncated", region({ start: 4096.9, samples: 7.5, aggrs: 12.9 }), plain],
      ["a fraction in a string", region({ aggrs: "12.9" }), plain],
      ["leading zeros", region({ start: "0004096", samples: "07" }), plain],
      ["15 digits", region({ end: "100000000000000" }), { ...plain, end: 1e14 }],
      ["16 digits (the long way)", region({ end: "0000000001048576" }), plain],
      ["thousands commas", region({ end: "1,048,576", aggrs: "1,2" }), plain],
      ["spaces and underscores", region({ start: " 4096 ", end: "1_048_576" }), plain],
      ["human sizes", region({ start: "4 KiB", end: "1 MiB", sz: "2 KiB" }), { ...plain, szFilterPassed: 2048 }],
      ["size min", region({ start: "min" }), { ...plain, start: 0 }],
      ["percent of the window's samples", region({ percent: "35 %" }), plain],
      ["age in time", region({ usec: "1.2 s" }), plain],
      ["null filter bytes", region({ sz: null }), plain],
      ["filter bytes", region({ sz: "512" }), { ...plain, szFilterPassed: 512 }]
    ]
    for (const [name, r, expected] of same) {
      assert.deepStrictEqual(Result.getOrThrow(read(r))[0]!.snapshots[0]!.regions, [expected], name)
    }
    const path = "[0].snapshots[0].regions[0]"
    const bad: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
      [region({ start: "-1" }), `${path}.start`],
      [region({ start: -4096 }), `${path}.start`],
      [region({ start: "" }), `${path}.start`],
      [region({ start: true }), `${path}.start`],
      [region({ end: "12ab" }), `${path}.end`],
      [region({ end: "2048" }), `${path}.end`],
      [region({ end: 1e300 }), `${path}.end`],
      [region({ end: "99999999999999999999" }), `${path}.end`],
      [region({ samples: "many" }), `${path}.nr_accesses.samples`],
      [region({ samples: -1 }), `${path}.nr_accesses.samples`],
      [{ ...region({}), nr_accesses: [7] }, `${path}.nr_accesses`],
      [{ ...region({}), nr_accesses: null }, `${path}.nr_accesses`],
      [region({ aggrs: "x" }), `${path}.age.aggr_intervals`],
      [{ ...region({}), age: 12 }, `${path}.age`],
      [region({ sz: "-5" }), `${path}.sz_filter_passed`],
      [{ ...region({}), start: undefined }, `${path}.start`]
    ]
    for (const [r, field] of bad) {
      const e = Result.getOrThrow(Result.flip(read(r)))
      assert.include(e.message, field, JSON.stringify(r))
    }
  })

  it.effect("a json_compressed file made from damo's JSON reads the same; so does the plain json file", () =>
    Effect.gen(function*() {
      const expected = Result.getOrThrow(decodeRecords(fixtureText))
      const compressed = tmp("damon.data")
      writeFileSync(compressed, deflateSync(Buffer.from(fixtureText)))
      assert.deepStrictEqual(yield* readRecordFile(compressed), expected)
      const plain = tmp("damon.json")
      writeFileSync(plain, fixtureText)
      assert.deepStrictEqual(yield* readRecordFile(plain), expected)
    }))

  it.effect("records written then read give the same records and snapshots, compressed or not (seeded)", () =>
    Effect.gen(function*() {
      for (let seed = 0; seed < 40; seed++) {
        const records = genRecords(seed)
        const compressed = seed % 2 === 0
        const path = tmp(compressed ? "damon.data" : "damon.json")
        yield* writeRecordFile(path, records, { compressed })
        const bytes = readFileSync(path)
        assert.strictEqual(bytes[0] === 0x78, compressed, `seed ${seed}: zlib header`)
        assert.deepStrictEqual(yield* readRecordFile(path), records, `seed ${seed}`)
        // The file's JSON is what encodeRecords makes, and damo's list-of-records shape.
        const text = compressed ? inflateSync(bytes).toString("utf8") : bytes.toString("utf8")
        assert.strictEqual(text, encodeRecords(records))
      }
    }))

  it.effect("the incremental writer keeps each record's snapshots together although they arrive interleaved", () =>
    Effect.gen(function*() {
      const [a, b] = genRecords(7).concat(genRecords(8))
      const path = tmp("damon.data")
      yield* Effect.scoped(Effect.gen(function*() {
        const w = yield* openRecordWriter(path)
        const ia = yield* w.addRecord(a!)
        const ib = yield* w.addRecord(b!)
        const len = Math.max(a!.snapshots.length, b!.snapshots.length)
        for (let i = 0; i < len; i++) {
          if (i < b!.snapshots.length) yield* w.append(ib, b!.snapshots[i]!)
          if (i < a!.snapshots.length) yield* w.append(ia, a!.snapshots[i]!)
        }
        yield* w.finish
        const late = yield* Effect.flip(w.append(ia, a!.snapshots[0] ?? { startNs: 0n, endNs: 0n, regions: [], totalBytes: 0 }))
        assert.include(late.message, "already finished")
      }))
      assert.deepStrictEqual(yield* readRecordFile(path), [a, b])
    }))

  it.live("an interrupted recording leaves a valid file of what was recorded", () =>
    Effect.gen(function*() {
      const [rec] = genRecords(11)
      const path = tmp("damon.data")
      const appended = yield* Deferred.make<void>()
      const recorder = yield* Effect.forkChild(Effect.scoped(Effect.gen(function*() {
        const w = yield* openRecordWriter(path)
        const i = yield* w.addRecord(rec!)
        for (const s of rec!.snapshots.slice(0, 3)) yield* w.append(i, s)
        yield* Deferred.succeed(appended, undefined)
        return yield* Effect.never
      })), { startImmediately: true })
      yield* Deferred.await(appended)
      yield* Fiber.interrupt(recorder)
      assert.deepStrictEqual(yield* readRecordFile(path), [{ ...rec!, snapshots: rec!.snapshots.slice(0, 3) }])
    }))

  it.effect("a kdamond's Aggregated events recorded and read back are the events' regions", () =>
    Effect.gen(function*() {
      const damon = yield* Damon.Damon
      const k = yield* damon.start({ ops: "vaddr", targets: [{ pid: 1 }, { pid: 2 }] }, { seed: 3, stopAtUs: 2_000_000 })
      const events = yield* Stream.runCollect(k.events)
      const aggregated = [...events].filter((e): e is Extract<MonitorEvent, { _tag: "Aggregated" }> => e._tag === "Aggregated")
      assert.isAtLeast(aggregated.length, 10)
      const path = tmp("damon.data")
      yield* Effect.scoped(Effect.gen(function*() {
        const w = yield* openRecordWriter(path)
        const headers = headersOf(aggregated[0]!, 1_000_000)
        for (const h of headers) yield* w.addRecord(h)
        const prev: Array<bigint | undefined> = headers.map(() => undefined)
        for (const e of aggregated) {
          for (let t = 0; t < headers.length; t++) {
            const s = snapshotOf(e, t, prev[t])
            if (s === undefined) continue
            yield* w.append(t, s)
            prev[t] = s.endNs
          }
        }
      }))
      const records = yield* readRecordFile(path)
      assert.deepStrictEqual(records.map((r) => r.targetId), [0n, 1n])
      for (let t = 0; t < 2; t++) {
        const snaps = records[t]!.snapshots
        assert.strictEqual(snaps.length, aggregated.length)
        for (let i = 0; i < snaps.length; i++) {
          const e = aggregated[i]!
          assert.strictEqual(snaps[i]!.endNs, BigInt(e.atUs) * 1000n)
          if (i > 0) assert.strictEqual(snaps[i]!.startNs, snaps[i - 1]!.endNs)
          assert.deepStrictEqual(
            snaps[i]!.regions.map((r) => [r.start, r.end, r.nrAccesses, r.age]),
            e.targets[t]!.regions.map((r) => [r.start, r.end, r.nrAccesses, r.age])
          )
        }
      }
    }).pipe(Effect.scoped, Effect.provide(Damon.layer.pipe(Layer.provide(OpsRegistry.layer({
      vaddr: makeFakeOps({ id: "vaddr", hot: [{ start: 0, end: 1 << 20 }], initRange: { start: 0, end: 1 << 24 } })
    })))), Effect.provide(World.layerVirtual)))

  it.effect("bad files get an error naming the file and what is wrong", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(readRecordFile(join(dir, "nope.data")))
      assert.strictEqual(missing.errno, "ENOENT")
      assert.include(missing.message, "nope.data")
      const cases: ReadonlyArray<readonly [string, Uint8Array | string, string]> = [
        ["binary", Buffer.from([0x01, 0x02, 0x03, 0x04]), "neither a json_compressed record file (zlib) nor a json record file"],
        ["truncated", deflateSync(Buffer.from(fixtureText)).subarray(0, 100), "is damaged zlib data"],
        ["not-json", deflateSync(Buffer.from("[{\"kdamond_idx\": ")), "is not JSON"],
        ["not-a-list", "{\"kdamonds\": []}", "must be a list of records"],
        ["bad-region", fixtureText.replace("\"140,731,678,523,392\",\n                        \"nr_accesses\": {\n                            \"samples\": 9", "\"1\",\n                        \"nr_accesses\": {\n                            \"samples\": 9"), "[0].snapshots[1].regions[0].end"],
        ["bad-samples", fixtureText.replace("\"samples\": 18", "\"samples\": \"many\""), "[0].snapshots[0].regions[1].nr_accesses.samples"]
      ]
      for (const [name, content, expected] of cases) {
        const path = tmp(name)
        writeFileSync(path, content)
        const e = yield* Effect.flip(readRecordFile(path))
        assert.strictEqual(e.errno, "EINVAL", name)
        assert.include(e.message, path, name)
        assert.include(e.message, expected, name)
      }
    }))
})
