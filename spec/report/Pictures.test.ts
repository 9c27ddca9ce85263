/**
 * The pictures, rendered for real: Vega-Lite specs of a monitored `stairs` run compiled and
 * rendered headless to SVG (checked to be well-formed XML with the axis and legend titles) and
 * to PNG (checked to decode to the size it states).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Option, Result } from "effect"
import { execFileSync } from "node:child_process"
import * as HeatmapGrid from "../../src/report/HeatmapGrid.ts"
import { heatmapCells, heatmapSpec } from "../../src/report/HeatmapSpec.ts"
import { regionsSpec } from "../../src/report/RegionsSpec.ts"
import * as Render from "../../src/report/Render.ts"
import type { Snapshot } from "../../src/report/Snapshot.ts"
import * as Wss from "../../src/report/WssDistribution.ts"
import { wssSpec } from "../../src/report/WssSpec.ts"
import { monitorWorkload } from "./support.ts"
import { checkXml, readPng } from "./wellFormed.ts"

/** 20 s of stairs: a heatmap grid, the WSS distribution and the snapshot at 15 s. */
const stairs = Effect.gen(function*() {
  const grid = Result.getOrThrow(HeatmapGrid.make({ width: 60, height: 40, expectedDurationUs: 20_000_000 }))
  const wss = Result.getOrThrow(Wss.make())
  let at15: Snapshot | undefined
  yield* monitorWorkload("stairs", { seconds: 20, seed: 1 }, (s) => {
    HeatmapGrid.add(grid, s)
    Wss.add(wss, s)
    if (s.atUs === 15_000_000) at15 = s
  })
  return { grid, wss, snapshot: at15! }
})

/** Renders to SVG and PNG and checks both; returns the SVG's text nodes. */
const renderBoth = (spec: Parameters<typeof Render.toSvg>[0], scale: number) =>
  Effect.gen(function*() {
    const svg = yield* Render.toSvg(spec)
    assert.deepStrictEqual(svg.warnings, [])
    const xml = checkXml(svg.svg)
    assert.deepStrictEqual(xml.problems, [])
    assert.strictEqual(xml.root, "svg")
    const png = yield* Render.svgToPng(svg.svg, { scale })
    const header = readPng(png.data)
    assert.strictEqual(header.width, png.widthPx)
    assert.strictEqual(header.height, png.heightPx)
    assert.approximately(png.widthPx, svg.widthPx * scale, 1)
    assert.approximately(png.heightPx, svg.heightPx * scale, 1)
    const corrupt = Uint8Array.from(png.data)
    corrupt[Math.floor(corrupt.length / 2)]! ^= 0xff
    assert.throws(() => readPng(corrupt), /bad CRC/)
    return xml.texts
  })

describe("pictures", () => {
  it.effect("heatmap - SVG with time and address axes, units and a colour legend; PNG of the stated size", () =>
    Effect.gen(function*() {
      const { grid } = yield* stairs
      const spec = heatmapSpec(grid, { widthPx: 400, heightPx: 240 })
      const texts = yield* renderBoth(spec, 1.5)
      for (const title of ["DAMON access heatmap", "time (s)", "address offset in the monitored ranges (MiB)", "access rate (%)"]) {
        assert.include(texts, title)
      }
      assert.isTrue(texts.some((t) => t.startsWith("200 aggregations over 20.000 s")))
      // rendering left the spec alone, and it is plain JSON: what a browser's vega-embed would get
      assert.deepStrictEqual(JSON.parse(JSON.stringify(spec)), spec)
      assert.deepStrictEqual(spec, heatmapSpec(grid, { widthPx: 400, heightPx: 240 }))
    }))

  it.effect("heatmap cells - equal neighbours merge, unmonitored cells are left out, mass shows in the rates", () =>
    Effect.gen(function*() {
      const { grid } = yield* stairs
      const cells = heatmapCells(grid)
      let drawn = 0
      for (let row = 0; row < HeatmapGrid.rowsInUse(grid); row++) {
        for (let col = 0; col < grid.width; col++) if (HeatmapGrid.ratePercentAt(grid, row, col) !== undefined) drawn++
      }
      assert.isBelow(cells.length, drawn / 2)
      assert.isTrue(cells.every((c) => c.t1 > c.t0 && c.a1 > c.a0 && c.rate >= 0 && c.rate <= 100))
      // phase 0 (10 .. 15 s) is hot, the idle heap below it is not
      assert.isTrue(cells.some((c) => c.t0 >= 10 && c.t1 <= 15 && c.rate > 90))
      assert.isTrue(cells.some((c) => c.t0 >= 10 && c.rate === 0))
    }))

  it.effect("WSS distribution and region boxes render with their titles", () =>
    Effect.gen(function*() {
      const { wss, snapshot } = yield* stairs
      const wssTexts = yield* renderBoth(wssSpec(wss), 1)
      for (const title of ["DAMON working set size", "percentile", "working set size (MiB)"]) assert.include(wssTexts, title)
      const byTime = yield* renderBoth(wssSpec(wss, { sortBy: "time", percentiles: [0, 25, 50, 75, 100] }), 1)
      assert.include(byTime, "runtime (%)")
      const boxTexts = yield* renderBoth(regionsSpec(snapshot), 2)
      for (const title of ["DAMON regions at 15.000 s", "age (s)", "access rate (%)", "address offset in the monitored ranges (MiB)"]) {
        assert.include(boxTexts, title)
      }
    }))

  it.effect("svgToPng - refuses a bad scale, naming it", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Render.svgToPng("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>", { scale: 0 }))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(Option.getOrThrow(Exit.findErrorOption(exit)).message, "png.scale: 0 is invalid: must be a number > 0 and <= 16")
    }))

  it.effect("toSvg - a spec Vega-Lite cannot compile is a RenderError, not a crash", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Render.toSvg({ mark: "nonsense", data: { values: [] } } as unknown as Parameters<typeof Render.toSvg>[0]))
      const error = Option.getOrThrow(Exit.findErrorOption(exit))
      assert.strictEqual(error._tag, "RenderError")
      assert.match(error.message, /^rendering the picture failed at compile: /)
    }))

  it("the read-back checks catch broken output", () => {
    assert.deepStrictEqual(checkXml("<svg><g><text>a &amp; b</text></g></svg>").problems, [])
    assert.deepStrictEqual(checkXml("<svg><g><text>a &amp; b</text></g></svg>").texts, ["a & b"])
    assert.include(checkXml("<svg><g></svg>").problems, "</svg> closes <g>")
    assert.include(checkXml("<svg><text>a & b</text></svg>").problems[0]!, "bad entity")
    assert.include(checkXml("<svg x=1></svg>").problems[0]!, "malformed tag")
    assert.include(checkXml("<svg><g>").problems, "unclosed: svg > g")
    assert.throws(() => readPng(new Uint8Array([1, 2, 3])), /signature/)
  })

  it("importing effect-damon loads none of the rendering libraries", () => {
    const script = [
      "import { registerHooks } from 'node:module'",
      "const seen = []",
      "registerHooks({ resolve(s, c, next) { const r = next(s, c); seen.push(r.url); return r } })",
      "await import('effect-damon')",
      "console.log(JSON.stringify(seen.filter((u) => /vega|resvg/.test(u))))"
    ].join("\n")
    const out = execFileSync(process.execPath, ["--conditions=development", "--input-type=module", "-e", script], {
      cwd: new URL("../..", import.meta.url).pathname,
      encoding: "utf8"
    })
    assert.strictEqual(out.trim(), "[]")
  })
})
