import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { cycleMs, parseMasimConfig, totalSize } from "../../src/sim/MasimConfig.ts"
import { loadMasimConfig, loadMasimConfigFile, masimConfigNames } from "../../src/sim/MasimFiles.ts"

const parseOk = (text: string) => {
  const r = parseMasimConfig(text, "t.cfg")
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}

const parseErr = (text: string) => {
  const r = parseMasimConfig(text, "bad.cfg")
  assert.isTrue(Result.isFailure(r), "expected a parse error")
  if (Result.isSuccess(r)) throw new Error("unreachable")
  const reason = r.failure.reason
  assert.strictEqual(reason._tag, "InvalidArgument")
  if (reason._tag !== "InvalidArgument") throw new Error("unreachable")
  return reason
}

describe("parseMasimConfig", () => {
  it("parses every shipped configuration", () => {
    for (const name of masimConfigNames) {
      const r = loadMasimConfig(name)
      assert.isTrue(Result.isSuccess(r), `${name} must parse`)
    }
  })

  it("reads the shipped files' content", () => {
    const get = (name: string) => {
      const r = loadMasimConfig(name)
      if (Result.isFailure(r)) throw new Error(r.failure.message)
      return r.success
    }
    const stairs = get("stairs")
    assert.strictEqual(stairs.name, "stairs")
    assert.strictEqual(stairs.regions.length, 10)
    assert.strictEqual(stairs.phases.length, 11)
    assert.strictEqual(totalSize(stairs), 100_000_000)
    assert.strictEqual(cycleMs(stairs), 10_000 + 10 * 5000)
    assert.deepStrictEqual(stairs.phases[3]!.patterns, [
      { region: "s2", regionIndex: 2, random: false, stride: 4096, probability: 50, rwMode: "ro" }
    ])
    const zigzag = get("zigzag")
    assert.strictEqual(zigzag.regions.length, 2)
    assert.strictEqual(zigzag.phases.length, 13)
    assert.strictEqual(get("zigzag_30secs").phases[1]!.durationMs, 2500)
    const def = get("default")
    assert.strictEqual(def.name, "default")
    assert.deepStrictEqual(def.regions.map((r) => [r.name, r.size, r.initialDataFile]), [
      ["a", 256, null],
      ["b", 64, null],
      ["c", 128, null]
    ])
    assert.deepStrictEqual(def.phases.map((p) => p.name), ["example phase 1", "example phase 2"])
    assert.deepStrictEqual(def.phases[1]!.patterns.map((p) => [p.region, p.random, p.stride, p.probability, p.rwMode]), [
      ["c", true, 64, 50, "ro"],
      ["b", false, 4096, 50, "rw"]
    ])
    assert.strictEqual(def.phases[0]!.patterns[0]!.rwMode, "wo")
    const mb = get("100mb")
    assert.deepStrictEqual(mb.phases[0]!.patterns[0], { region: "a", regionIndex: 0, random: true, stride: 64, probability: 80, rwMode: "ro" })
    assert.strictEqual(get("2mb").regions[0]!.size, 2_097_152)
    assert.strictEqual(get("demo").phases.length, 7)
  })

  it("skips comments, tolerates CRLF and extra blank lines, keeps initial data files", () => {
    const c = parseOk("# regions\r\nx, 4096, data.bin\r\n\r\n\r\n# phase\r\nonly\r\n# ms\r\n10\r\nx, 1, 64, 3\r\n")
    assert.strictEqual(c.regions[0]!.initialDataFile, "data.bin")
    assert.strictEqual(c.phases[0]!.durationMs, 10)
    assert.strictEqual(c.phases[0]!.patterns[0]!.probability, 3)
  })

  const cases: ReadonlyArray<readonly [string, string, number, string, RegExp]> = [
    ["missing region fields", "a\n\np\n1\na, 1, 64, 1\n", 1, "a", /missing fields/],
    ["too many region fields", "a, 10, f, g\n\np\n1\na, 1, 64, 1\n", 1, "a, 10, f, g", /4 fields/],
    ["non-numeric size", "a, 10\nb, ten\n\np\n1\na, 1, 64, 1\n", 2, "b, ten", /region size "ten" is not/],
    ["zero size", "a, 0\n\np\n1\na, 1, 64, 1\n", 1, "a, 0", /must be positive/],
    ["duplicate region", "a, 10\n# c\na, 20\n\np\n1\na, 1, 64, 1\n", 3, "a, 20", /duplicate region "a"/],
    ["unknown region name", "a, 10\n\np\n1\nz, 1, 64, 1\n", 5, "z, 1, 64, 1", /unknown region name "z"/],
    ["missing pattern fields", "a, 10\n\np\n1\na, 1, 64\n", 5, "a, 1, 64", /missing fields/],
    ["bad randomness", "a, 10\n\np\n1\na, 2, 64, 1\n", 5, "a, 2, 64, 1", /randomness "2"/],
    ["zero stride", "a, 10\n\np\n1\na, 0, 0, 1\n", 5, "a, 0, 0, 1", /zero stride/],
    ["non-numeric stride", "a, 10\n\np\n1\na, 0, 4k, 1\n", 5, "a, 0, 4k, 1", /stride "4k"/],
    ["non-numeric probability", "a, 10\n\np\n1\na, 0, 64, x\n", 5, "a, 0, 64, x", /probability "x"/],
    ["bad rw mode", "a, 10\n\np\n1\na, 0, 64, 1, rx\n", 5, "a, 0, 64, 1, rx", /read\/write mode "rx"/],
    ["phase without patterns", "a, 10\n\nlonely\n100\n", 4, "100", /has no access patterns/],
    ["phase without duration", "a, 10\n\nlonely\n", 3, "lonely", /no duration line/],
    ["non-numeric duration", "a, 10\n\np\nsoon\na, 0, 64, 1\n", 4, "soon", /duration must be a decimal integer/],
    ["zero duration", "a, 10\n\np\n0\na, 0, 64, 1\n", 4, "0", /duration must be positive/],
    ["zero-probability phase", "a, 10\n\np\n5\na, 0, 64, 0\n", 5, "a, 0, 64, 0", /only zero-probability/],
    ["no phases", "# only regions\na, 10\nb, 20\n", 3, "b, 20", /no phases/]
  ]
  for (const [name, text, line, lineText, rule] of cases) {
    it(`rejects ${name} with file:line and the reason`, () => {
      const e = parseErr(text)
      assert.strictEqual(e.field, `bad.cfg:${line}`)
      assert.strictEqual(e.value, JSON.stringify(lineText))
      assert.match(e.rule, rule)
    })
  }

  it("rejects an empty file", () => {
    const e = parseErr("# nothing\n\n")
    assert.strictEqual(e.field, "bad.cfg:1")
    assert.match(e.rule, /empty/)
  })
})

describe("MasimFiles", () => {
  it("rejects unknown names and unreadable files", () => {
    const r = loadMasimConfig("nope")
    assert.isTrue(Result.isFailure(r))
    if (Result.isFailure(r)) assert.match(r.failure.message, /must be one of .*stairs/)
    const f = loadMasimConfigFile("/nonexistent/dir/x.cfg")
    assert.isTrue(Result.isFailure(f))
    if (Result.isFailure(f)) assert.strictEqual(f.failure.errno, "EINVAL")
  })
})
