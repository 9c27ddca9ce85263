/**
 * Turns Schema decoding failures into `DamonError` `InvalidArgument`s that name the field, the
 * offending value and the rule, so every entry point reports bad input the same way.
 *
 * @internal
 */
import { Result, Schema, SchemaIssue } from "effect"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const valueAt = (input: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let cur: unknown = input
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined
    cur = (cur as Record<PropertyKey, unknown>)[key]
  }
  return cur
}

const joinPath = (prefix: string, path: ReadonlyArray<PropertyKey>): string => {
  let out = prefix
  for (const key of path) {
    if (typeof key === "number" || (typeof key === "string" && /^\d+$/.test(key))) out += `[${String(key)}]`
    else out += out === "" ? String(key) : `.${String(key)}`
  }
  return out === "" ? "(input)" : out
}

/**
 * Decodes `input` with `schema`; on failure returns an `InvalidArgument` for the first issue,
 * with the field path prefixed by `prefix` (e.g. `"attrs"`, `"schemes[2]"`).
 */
export const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  input: unknown,
  prefix: string
): Result.Result<S["Type"], DamonError> => {
  const decoded = Schema.decodeUnknownResult(schema)(input, { onExcessProperty: "error" })
  if (Result.isSuccess(decoded)) return Result.succeed(decoded.success)
  const first = formatter(decoded.failure.issue).issues[0]
  const path = (first?.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? p.key : p))
  const rule = first?.message === "Expected no excess property" ? "unknown field" : (first?.message ?? "invalid")
  return Result.fail(invalidArgument(joinPath(prefix, path), valueAt(input, path), rule))
}

/** A non-negative integer that the project can hold exactly (kernel `unsigned long`). */
export const ULong = Schema.Number.check(
  Schema.makeFilter((n: number) =>
    Number.isSafeInteger(n) && n >= 0
      ? undefined
      : "must be a non-negative integer no larger than 9007199254740991 (2^53-1); larger u64 values cannot be honoured"
  )
)

/** A kernel `unsigned int`: an integer in [0, 4294967295]. */
export const UInt = Schema.Number.check(
  Schema.makeFilter((n: number) =>
    Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff ? undefined : "must be an integer in [0, 4294967295]"
  )
)

/** A kernel `int`: an integer in [-2147483648, 2147483647]. */
export const Int32 = Schema.Number.check(
  Schema.makeFilter((n: number) =>
    Number.isInteger(n) && n >= -0x8000_0000 && n <= 0x7fff_ffff
      ? undefined
      : "must be an integer in [-2147483648, 2147483647]"
  )
)
