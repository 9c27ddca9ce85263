/**
 * The configs a command starts or commits: from damo's kdamonds JSON file (`--kdamonds`), or
 * from damo's monitoring and DAMOS options; never both. What the file holds but effect-damon does
 * not apply is printed as notes on stderr (damo's runtime fields, unsupported features), never
 * dropped silently.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { readFile } from "node:fs/promises"
import { type KdamondsRead, parseKdamondsJson, type StartConfig } from "../damo/KdamondsJson.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { anyGiven, type DamoOptions, optionsToConfigs } from "./DamoOptions.ts"

/** Reads a text file, an unreadable one being an error naming the flag and the file. */
export const readText = (flag: string, path: string): Effect.Effect<string, DamonError> =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (e) => invalidArgument(flag, path, `cannot be read: ${e instanceof Error ? e.message.replace(/^[A-Z]+: /, "") : String(e)}`)
  })

/** The kdamonds of a kdamonds JSON file; an error names the file and the JSON path. */
export const readKdamondsFile = (path: string): Effect.Effect<KdamondsRead, DamonError> =>
  Effect.flatMap(readText("--kdamonds", path), (text) => {
    const read = parseKdamondsJson(text)
    if (Result.isSuccess(read)) return Effect.succeed(read.success)
    const r = read.failure.reason
    return Effect.fail(r._tag === "InvalidArgument" ? invalidArgument(`${path}: ${r.field}`, JSON.parse(r.value) as unknown, r.rule) : read.failure)
  })

/**
 * The configs of `--kdamonds <file>` or of the options; notes go to stderr. Combining the file
 * with monitoring or DAMOS options is refused (which would win is not obvious).
 */
export const configsOf = (file: string | undefined, options: DamoOptions): Effect.Effect<ReadonlyArray<StartConfig>, DamonError> =>
  Effect.gen(function*() {
    let read: KdamondsRead
    if (file !== undefined) {
      const other = anyGiven(options)
      if (other !== undefined) return yield* Effect.fail(invalidArgument(other, "(given)", "cannot be combined with --kdamonds: the file describes everything"))
      read = yield* readKdamondsFile(file)
    } else {
      const r = optionsToConfigs(options)
      if (Result.isFailure(r)) return yield* Effect.fail(r.failure)
      read = r.success
    }
    for (const n of read.notes) yield* Console.error(`note: ${n.path}: ${n.kind}: ${n.message}`)
    if (read.configs.length === 0) return yield* Effect.fail(invalidArgument(file ?? "options", "{\"kdamonds\": []}", "describes no kdamond"))
    return read.configs
  })
