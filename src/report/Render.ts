/**
 * Renders the pictures' Vega-Lite specs headless: Vega-Lite compiles to Vega, Vega's `View`
 * renders SVG without a canvas (`renderer: "none"` + `toSVG()`), and resvg (a Rust SVG renderer
 * shipped as per-platform npm binaries) rasterises the SVG to PNG off the main thread. No
 * gnuplot, no browser. The three packages are loaded on first use (dynamic `import`), so
 * importing effect-damon stays cheap for programs that draw nothing.
 *
 * Specs with inline data (every builder here) touch neither network nor disk; a spec naming a
 * data URL would be loaded by Vega's default loader.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type { TopLevelSpec } from "vega-lite"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { fontFamily } from "./SpecConfig.ts"

/** Rendering failed: a library could not be loaded, or refused the spec or the SVG. */
export class RenderError extends Data.TaggedError("RenderError")<{
  readonly stage: "load" | "compile" | "svg" | "png"
  readonly detail: string
}> {
  override get message(): string {
    return `rendering the picture failed at ${this.stage}: ${this.detail}`
  }
}

/** An SVG document and its size in CSS pixels. */
export interface Svg {
  readonly svg: string
  readonly widthPx: number
  readonly heightPx: number
  /** What Vega-Lite and Vega warned about while compiling and rendering (empty for our specs). */
  readonly warnings: ReadonlyArray<string>
}

/** A PNG image and its size in pixels. */
export interface Png {
  readonly data: Uint8Array
  readonly widthPx: number
  readonly heightPx: number
}

/** How to rasterise. */
export interface PngOptions {
  /** Pixels per CSS pixel of the SVG (default 2: sharp on high-density screens). */
  readonly scale?: number
  /** Extra font files (TTF/OTF) for machines without the usual system fonts. */
  readonly fontFiles?: ReadonlyArray<string>
  /** The family used for `sans-serif` and unknown families (default DejaVu Sans). */
  readonly fontFamily?: string
}

const describe = (u: unknown): string => (u instanceof Error ? u.message : String(u))

const load = <A>(what: string, importer: () => Promise<A>): Effect.Effect<A, RenderError> =>
  Effect.tryPromise({ try: importer, catch: (e) => new RenderError({ stage: "load", detail: `${what}: ${describe(e)}` }) })

/** A Vega logger that collects warnings instead of printing them. */
const collectingLogger = (warnings: Array<string>) => {
  let level = 2
  const logger = {
    level(l?: number) {
      if (l === undefined) return level
      level = l
      return logger
    },
    error(...args: Array<unknown>) {
      warnings.push(`error: ${args.map(describe).join(" ")}`)
      return logger
    },
    warn(...args: Array<unknown>) {
      warnings.push(args.map(describe).join(" "))
      return logger
    },
    info() {
      return logger
    },
    debug() {
      return logger
    }
  }
  return logger
}

const sizeOf = (svg: string): { readonly widthPx: number; readonly heightPx: number } => {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? ""
  return {
    widthPx: Number(/\swidth="([\d.]+)"/.exec(root)?.[1] ?? 0),
    heightPx: Number(/\sheight="([\d.]+)"/.exec(root)?.[1] ?? 0)
  }
}

/** Renders a Vega-Lite spec to an SVG document; the spec is not modified (Vega tags the data it ingests, so it gets a copy). */
export const toSvg = (spec: TopLevelSpec): Effect.Effect<Svg, RenderError> =>
  Effect.gen(function*() {
    const vl = yield* load("vega-lite", () => import("vega-lite"))
    const vega = yield* load("vega", () => import("vega"))
    const warnings: Array<string> = []
    const logger = collectingLogger(warnings)
    const compiled = yield* Effect.try({
      try: () => vl.compile(structuredClone(spec), { logger }).spec,
      catch: (e) => new RenderError({ stage: "compile", detail: describe(e) })
    })
    const svg = yield* Effect.tryPromise({
      try: async () => {
        const view = new vega.View(vega.parse(compiled), { renderer: "none", logger })
        try {
          return await view.toSVG()
        } finally {
          view.finalize()
        }
      },
      catch: (e) => new RenderError({ stage: "svg", detail: describe(e) })
    })
    return { svg, ...sizeOf(svg), warnings }
  })

/** Rasterises an SVG document to PNG; the scale must be a number in (0, 16]. */
export const svgToPng = (svg: string, options: PngOptions = {}): Effect.Effect<Png, RenderError | DamonError> =>
  Effect.gen(function*() {
    const scale = options.scale ?? 2
    if (!(Number.isFinite(scale) && scale > 0 && scale <= 16)) {
      return yield* Effect.fail(invalidArgument("png.scale", scale, "must be a number > 0 and <= 16"))
    }
    const resvg = yield* load("@resvg/resvg-js", () => import("@resvg/resvg-js"))
    const family = options.fontFamily ?? fontFamily.split(",")[0]!.trim()
    const image = yield* Effect.tryPromise({
      try: () =>
        resvg.renderAsync(svg, {
          fitTo: { mode: "zoom", value: scale },
          font: {
            loadSystemFonts: true,
            fontFiles: [...(options.fontFiles ?? [])],
            defaultFontFamily: family,
            sansSerifFamily: family
          },
          logLevel: "off"
        }),
      catch: (e) => new RenderError({ stage: "png", detail: describe(e) })
    })
    return { data: new Uint8Array(image.asPng()), widthPx: image.width, heightPx: image.height }
  })

/** Renders a Vega-Lite spec to PNG (through SVG). */
export const toPng = (spec: TopLevelSpec, options: PngOptions = {}): Effect.Effect<Png, RenderError | DamonError> =>
  Effect.flatMap(toSvg(spec), (svg) => svgToPng(svg.svg, options))
