/**
 * Small helpers for reading a parsed JSON document field by field: every failure is an
 * `InvalidArgument` naming the JSON path (`kdamonds[0].contexts[0].intervals.sample_us`), the
 * value and the rule, and every field that is not used is reported, never silently dropped.
 * Pure.
 */
import * as Result from "effect/Result"
import { ULONG_MAX_SAFE } from "../internal/uint.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"

/** A field that was read but not applied, or written but not standard. */
export interface Note {
  /** JSON path of the field, e.g. `kdamonds[0].contexts[0].ops_attrs.use_reports`. */
  readonly path: string
  readonly value: unknown
  /**
   * `ignored`: a runtime output (state, pid, stats, effective quota) with no effect on a setup;
   * `unsupported`: a field effect-damon cannot apply (or damo's format cannot carry), not applied;
   * `extension`: written by effect-damon beyond damo's documented format (damo may ignore it).
   */
  readonly kind: "ignored" | "unsupported" | "extension"
  readonly message: string
}

/** A JSON object. */
export type JsonObject = Readonly<Record<string, unknown>>

/** Fails with an `InvalidArgument` for `path`. */
export const fail = (path: string, value: unknown, rule: string): Result.Result<never, DamonError> =>
  Result.fail(invalidArgument(path, value, rule))

/** `base.key`, or `base[index]`. */
export const at = (base: string, key: string | number): string =>
  typeof key === "number" ? `${base}[${key}]` : base === "" ? key : `${base}.${key}`

/** The value as an object. */
export const object = (v: unknown, path: string): Result.Result<JsonObject, DamonError> =>
  v !== null && typeof v === "object" && !Array.isArray(v)
    ? Result.succeed(v as JsonObject)
    : fail(path, v, "must be an object")

/** The value as a list. */
export const list = (v: unknown, path: string): Result.Result<ReadonlyArray<unknown>, DamonError> =>
  Array.isArray(v) ? Result.succeed(v) : fail(path, v, "must be a list")

/** Parses a value with a damo value parser; its rule becomes the error's rule. */
export const parse = <A>(v: unknown, path: string, parser: (v: unknown) => Result.Result<A, string>) =>
  Result.mapError(parser(v), (rule) => invalidArgument(path, v, rule))

/**
 * An `unsigned long` damo writes with `'%d'` (so truncated toward zero): at least 0; from
 * 2^53-1 up held as 2^53-1, the value the admin tree saturates it to (docs/sysfs.md).
 */
export const ulong = (v: unknown, path: string, parser: (v: unknown) => Result.Result<number, string>) =>
  Result.flatMap(parse(v, path, parser), (n) => {
    if (n < 0) return fail(path, v, "must be >= 0")
    return Result.succeed(n >= ULONG_MAX_SAFE ? ULONG_MAX_SAFE : Math.trunc(n))
  })

/** An integer in `[min, max]` after truncation toward zero, else an `InvalidArgument` saying so. */
export const bounded = (
  v: unknown,
  path: string,
  parser: (v: unknown) => Result.Result<number, string>,
  min: number,
  max: number,
  what: string
) =>
  Result.flatMap(Result.orElse(parser(v), () => Result.succeed(Number.NaN)), (n) => {
    const i = Math.trunc(n)
    return !(i >= min && i <= max) ? fail(path, v, `must be ${what}: an integer in [${min}, ${max}]`) : Result.succeed(i)
  })

/** An output field that says nothing (none, zero, empty), so not worth a note. */
const isEmptyOutput = (v: unknown): boolean =>
  v === null || v === undefined || v === 0 || v === "0" || v === "0 B" || v === "" ||
  (Array.isArray(v) && v.length === 0)

/**
 * Reports every key of `o` outside `known`: `output` keys (unless empty) as ignored runtime
 * outputs, the rest as unsupported fields.
 */
export const reportOthers = (
  o: JsonObject,
  path: string,
  known: ReadonlyArray<string>,
  output: ReadonlyArray<string>,
  notes: Array<Note>
): void => {
  for (const [key, value] of Object.entries(o)) {
    if (known.includes(key)) continue
    if (output.includes(key)) {
      if (!isEmptyOutput(value)) {
        notes.push({ path: at(path, key), value, kind: "ignored", message: "a runtime output of damo, not a parameter" })
      }
      continue
    }
    notes.push({ path: at(path, key), value, kind: "unsupported", message: "unknown field, not applied" })
  }
}
