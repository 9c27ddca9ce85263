/**
 * The lackey parser: every line kind, commentary, page-crossing and 64-bit addresses, malformed
 * lines reported with their line number (or skipped and counted), chunking that never changes
 * the result, and a 1 GiB trace streamed in bounded memory.
 */
import { assert, describe, it } from "@effect/vitest"
import { Rng } from "effect-damon"
import { LackeyTrace } from "effect-damon/accuracy"

interface Rec {
  readonly page: number
  readonly extra: number
  readonly kind: number
}

const enc = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Parses `chunks` with a fresh parser; the records, the stats and the first error. */
const parse = (chunks: ReadonlyArray<Uint8Array>, options: LackeyTrace.ParserOptions = {}) => {
  const p = LackeyTrace.make({ batchSize: 7, ...options })
  const records: Array<Rec> = []
  const sink = (b: LackeyTrace.RecordBatch) => {
    for (let i = 0; i < b.count; i++) records.push({ page: b.pages[i]!, extra: b.extraPages[i]!, kind: b.kinds[i]! })
  }
  let error: string | undefined
  for (const c of chunks) {
    const e = p.feed(c, sink)
    if (e !== undefined) {
      error = e.message
      break
    }
  }
  if (error === undefined) error = p.end(sink)?.message
  return { records, stats: p.stats(), error }
}

const lines = (...ls: ReadonlyArray<string>): Uint8Array => enc(ls.map((l) => `${l}\n`).join(""))

describe("LackeyTrace", () => {
  it("parses every line kind, skips valgrind's commentary and empty lines", () => {
    const { records, stats, error } = parse([lines(
      "==15851== Lackey, an example Valgrind tool",
      "==15851== Command: ./t",
      "--15851-- a verbose line",
      "I  0401ab70,3",
      " L 1ffefffd98,8",
      " S 0000000000403000,4",
      " M 04c5f000,1",
      "",
      "I  00000000,1"
    )])
    assert.isUndefined(error)
    assert.deepStrictEqual(records, [
      { page: Math.floor(0x401ab70 / 4096), extra: 0, kind: LackeyTrace.Kind.instr },
      { page: Math.floor(0x1ffefffd98 / 4096), extra: 0, kind: LackeyTrace.Kind.load },
      { page: 0x403, extra: 0, kind: LackeyTrace.Kind.store },
      { page: 0x4c5f, extra: 0, kind: LackeyTrace.Kind.modify },
      { page: 0, extra: 0, kind: LackeyTrace.Kind.instr }
    ])
    assert.deepStrictEqual(
      { lines: stats.lines, records: stats.records, i: stats.instructions, l: stats.loads, s: stats.stores, m: stats.modifies, comments: stats.commentLines },
      { lines: 9, records: 5, i: 2, l: 1, s: 1, m: 1, comments: 4 }
    )
  })

  it("an access crossing page boundaries touches each page; CRLF line ends are accepted", () => {
    const { records, error } = parse([enc(" L 0fff,2\r\n S 1ff8,16\n M 2000,8193\n")])
    assert.isUndefined(error)
    assert.deepStrictEqual(records.map((r) => [r.page, r.extra]), [[0, 1], [1, 1], [2, 2]])
  })

  it("64-bit addresses are exact to the page, up to the last page of the address space", () => {
    const { records, error } = parse([lines(" L ffffffffffffffff,1", " S 8000000000000000,8", "I  00007fffffffe000,4")])
    assert.isUndefined(error)
    assert.deepStrictEqual(records.map((r) => r.page), [2 ** 52 - 1, 2 ** 51, 0x7fffffffe])
    assert.strictEqual(records[0]!.page * 4096, 2 ** 64 - 4096)
  })

  it("malformed lines fail with the line number, the line and the rule; nothing after them is parsed", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      [" X 1000,4", "trace:2: \" X 1000,4\" is invalid: a data line is ` L addr,size`"],
      ["I 1000,4", "trace:2: \"I 1000,4\" is invalid: an instruction line is `I  addr,size`"],
      [" L 1000", "trace:2: \" L 1000\" is invalid: truncated line: missing `,size` after the address"],
      [" L 1000,", "trace:2: \" L 1000,\" is invalid: truncated line: missing the size after `,`"],
      [" L zz,4", "trace:2: \" L zz,4\" is invalid: the address must be hexadecimal digits"],
      [" L 1000,4 x", "trace:2: \" L 1000,4 x\" is invalid: unexpected characters after the size"],
      [" L 1ffffffffffffffff,1", "trace:2: \" L 1ffffffffffffffff,1\" is invalid: the address has 17 significant hexadecimal digits: beyond 64 bits"],
      [" L ffffffffffffffff,2", "trace:2: \" L ffffffffffffffff,2\" is invalid: the access ends beyond the 64-bit address space"],
      ["hello from the program", "trace:2: \"hello from the program\" is invalid: not a lackey line"],
      ["\u0000\u0001ELF", "trace:2: \"\\u0000\\u0001ELF\" is invalid: not a lackey line: starts with byte 0x00 (binary data?)"]
    ]
    for (const [bad, message] of cases) {
      const { error, records } = parse([lines("I  0401000,3", bad, "I  0402000,3")])
      assert.isDefined(error, bad)
      assert.include(error!, message, bad)
      assert.deepStrictEqual(records.map((r) => r.page), [0x401], "nothing after the bad line")
    }
    // the line number counts every line, commentary included
    assert.include(parse([lines("==1== x", "", "I  1000,1", " Q 1,1")]).error!, "trace:4:")
  })

  it("binary junk without newlines fails as a line too long, whatever the chunking", () => {
    const junk = new Uint8Array(3 * LackeyTrace.MAX_LINE_BYTES)
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + 7) % 256 === 10 ? 11 : (i * 131 + 7) % 256
    for (const size of [100, 4096, junk.length]) {
      const chunks: Array<Uint8Array> = [lines("I  1000,1")]
      for (let i = 0; i < junk.length; i += size) chunks.push(junk.subarray(i, i + size))
      const { error } = parse(chunks)
      assert.include(error!, `trace:2: "4096+ bytes" is invalid: line longer than ${LackeyTrace.MAX_LINE_BYTES} bytes without a newline (binary data?)`)
    }
  })

  it("a truncated last line (no newline) is parsed when complete and reported when cut", () => {
    assert.deepStrictEqual(parse([enc("I  1000,1\n L 2000,4")]).records.map((r) => r.page), [1, 2])
    assert.include(parse([enc("I  1000,1\n L 20")]).error!, "trace:2: \" L 20\" is invalid: truncated line")
  })

  it("skip-bad-lines: bad lines are counted and sampled with their numbers; the rest of the trace is kept", () => {
    const good = Array.from({ length: 30 }, (_, i) => `I  ${(0x1000 * (i + 1)).toString(16)},1`)
    const text = [...good.slice(0, 10), "junk", ...good.slice(10, 20), " L 1,", "x".repeat(5000), ...good.slice(20)]
    const { records, stats, error } = parse([lines(...text)], { skipBadLines: true, source: "t.lackey" })
    assert.isUndefined(error)
    assert.strictEqual(records.length, 30)
    assert.strictEqual(stats.badLines, 3)
    assert.deepStrictEqual(stats.badLineSamples.map((e) => e.message.slice(0, e.message.indexOf(":", 9))), ["t.lackey:11", "t.lackey:22", "t.lackey:23"])
    assert.strictEqual(stats.lines, 33)
  })

  it("property: any chunking of a trace gives the same records and line count (seeded)", () => {
    const rng = Rng.makeRng(11)
    const kinds = ["I  ", " L ", " S ", " M "]
    const text: Array<string> = ["==1== header"]
    for (let i = 0; i < 1000; i++) {
      const addr = rng.rand(0, 2 ** 48).toString(16).padStart(8, "0")
      text.push(`${kinds[rng.rand(0, 4)]}${addr},${rng.rand(1, 65)}`)
      if (rng.rand(0, 50) === 0) text.push("==1== interleaved commentary")
    }
    const whole = lines(...text)
    const reference = parse([whole])
    assert.strictEqual(reference.records.length, 1000)
    for (let trial = 0; trial < 20; trial++) {
      const chunks: Array<Uint8Array> = []
      for (let i = 0; i < whole.length;) {
        const n = rng.rand(1, trial < 5 ? 8 : 5000)
        chunks.push(whole.subarray(i, i + n))
        i += n
      }
      const got = parse(chunks)
      assert.deepStrictEqual(got.records, reference.records)
      assert.strictEqual(got.stats.lines, reference.stats.lines)
    }
  })

  it("a 1 GiB trace streams in bounded memory (a generated stream, never held whole)", () => {
    // 64 KiB of lines, fed 16384 times: 1 GiB; the parser keeps one partial line and one batch
    const block: Array<string> = []
    let size = 0
    while (size < 65536 - 40) {
      const l = block.length % 3 === 0 ? `I  ${(0x401000 + block.length * 4).toString(16)},4` : ` L ${(0x1ffefff000 + block.length * 8).toString(16)},8`
      block.push(l)
      size += l.length + 1
    }
    // end the block mid-line so that every chunk boundary splits a line
    const text = `${block.join("\n")}\n M 7ff000`
    const first = enc(text)
    const rest = enc(`${",8\n"}${text}`)
    const p = LackeyTrace.make()
    let records = 0
    const sink = (b: LackeyTrace.RecordBatch) => {
      records += b.count
    }
    const heap0 = process.memoryUsage().heapUsed
    let bytes = 0
    let maxHeap = heap0
    for (let i = 0; bytes < 2 ** 30; i++) {
      const chunk = i === 0 ? first : rest
      assert.isUndefined(p.feed(chunk, sink))
      bytes += chunk.length
      if (i % 1024 === 0) maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed)
    }
    assert.isUndefined(p.feed(enc(",8\n"), sink))
    bytes += 3
    assert.isUndefined(p.end(sink))
    const stats = p.stats()
    assert.strictEqual(stats.bytes, bytes)
    assert.strictEqual(stats.records, records)
    assert.isAbove(records, 60_000_000)
    assert.isBelow(maxHeap - heap0, 64 * 2 ** 20, "heap growth while streaming 1 GiB")
  }, 120_000)
})
