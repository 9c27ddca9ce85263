/**
 * A report's picture written to a file, its format chosen by the extension: `.svg` (Vega's SVG)
 * or `.png` (resvg, at scale 2). The renderers load on first use, so text reports never pay for
 * them. Any other extension, or a directory that cannot be written, is refused before anything
 * is rendered.
 */
import * as Effect from "effect/Effect"
import { accessSync, constants } from "node:fs"
import { writeFile } from "node:fs/promises"
import { dirname, resolve } from "node:path"
import type { TopLevelSpec } from "vega-lite"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { type RenderError, toPng, toSvg } from "../report/Render.ts"

/**
 * The picture format of an output path, or an error naming `--output`: an extension other than
 * `.svg` or `.png`, or a directory this process cannot write into (found now, not after the run).
 */
export const formatOf = (path: string): Effect.Effect<"svg" | "png", DamonError> =>
  Effect.suspend(() => {
    const ext = /\.([A-Za-z]+)$/.exec(path)?.[1]?.toLowerCase()
    if (ext !== "svg" && ext !== "png") return Effect.fail(invalidArgument("--output", path, "must end with .svg or .png"))
    try {
      accessSync(dirname(resolve(path)), constants.W_OK)
    } catch (e) {
      return Effect.fail(invalidArgument("--output", path, `cannot be written: ${e instanceof Error ? e.message : String(e)}`))
    }
    return Effect.succeed(ext)
  })

/** Renders `spec` into `path`; returns what to tell the user. */
export const writePicture = (spec: TopLevelSpec, path: string): Effect.Effect<string, DamonError | RenderError> =>
  Effect.gen(function*() {
    const format = yield* formatOf(path)
    const write = (data: string | Uint8Array) =>
      Effect.tryPromise({
        try: () => writeFile(path, data),
        catch: (e) => invalidArgument("--output", path, `cannot be written: ${e instanceof Error ? e.message : String(e)}`)
      })
    if (format === "svg") {
      const svg = yield* toSvg(spec)
      yield* write(svg.svg)
      return `wrote ${path} (SVG, ${svg.widthPx} x ${svg.heightPx} px)`
    }
    const png = yield* toPng(spec, { scale: 2 })
    yield* write(png.data)
    return `wrote ${path} (PNG, ${png.widthPx} x ${png.heightPx} px)`
  })
