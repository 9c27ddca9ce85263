/**
 * `args damon`: the kdamonds JSON the given options (or `--kdamonds` file) describe, fully
 * spelled out with damo's defaults, as `damo args damon --format json` prints it; `--raw` for
 * damo's machine-friendly numbers. `start --kdamonds` and damo read it back.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { formatKdamondsJson } from "../damo/KdamondsJsonWrite.ts"
import type { DamonError } from "../model/DamonError.ts"
import { configsOf } from "./Configs.ts"
import type { DamoOptions } from "./DamoOptions.ts"

/** Options of `args damon`. */
export interface ArgsDamonOptions {
  readonly kdamonds: Option.Option<string>
  readonly damo: DamoOptions
  readonly raw: boolean
}

/** `effect-damon args damon`. */
export const runArgsDamon = (o: ArgsDamonOptions): Effect.Effect<void, DamonError> =>
  Effect.gen(function*() {
    const configs = yield* configsOf(Option.getOrUndefined(o.kdamonds), o.damo)
    const written = formatKdamondsJson(configs, { raw: o.raw })
    if (Result.isFailure(written)) return yield* Effect.fail(written.failure)
    for (const n of written.success.notes) yield* Console.error(`note: ${n.path}: ${n.kind}: ${n.message}`)
    yield* Console.log(written.success.text)
  })
