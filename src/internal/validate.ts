/**
 * Turns Schema decoding failures into `DamonError` `InvalidArgument`s that name the field, the
 * offending value and the rule, so every entry point reports bad input the same way; untrusted
 * input is snapshotted first (`InputSnapshot.ts`), so decoding never throws.
 *
 * @internal
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import { type DamonError, invalidArgument, invalidArgumentText } from "../model/DamonError.ts"
import { describeThrown } from "./boundedText.ts"
import { joinPath, type Shape, snapshot } from "./InputSnapshot.ts"

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const valueAt = (input: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let cur: unknown = input
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined
    cur = (cur as Record<PropertyKey, unknown>)[key]
  }
  return cur
}

/**
 * Decodes plain data (a {@link snapshot}, or values the library built) with `schema`; on failure
 * returns an `InvalidArgument` for the first issue, with the field path prefixed by `prefix`
 * (e.g. `"attrs"`, `"schemes[2]"`). Even a decoder that throws is reported as a refusal naming
 * `prefix`, never a thrown exception.
 */
export const decodePlain = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  input: unknown,
  prefix: string
): Result.Result<S["Type"], DamonError> => {
  try {
    const decoded = Schema.decodeUnknownResult(schema)(input, { onExcessProperty: "error" })
    if (Result.isSuccess(decoded)) return Result.succeed(decoded.success)
    const first = formatter(decoded.failure.issue).issues[0]
    const path = (first?.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? p.key : p))
    const rule = first?.message === "Expected no excess property" ? "unknown field" : (first?.message ?? "invalid")
    return Result.fail(invalidArgument(joinPath(prefix, path), valueAt(input, path), rule))
  } catch (cause) {
    return Result.fail(invalidArgumentText(prefix === "" ? "(input)" : prefix, "(undecodable)", `could not be decoded: ${describeThrown(cause)}`))
  }
}

/**
 * Decodes untrusted `input` with `schema`: first a guarded {@link snapshot} (throwing accessors,
 * Proxies, cycles, deep nesting, huge values and array lengths past `shape`'s limits are refused
 * naming the field), then {@link decodePlain}. Total: always a `Result`, never a throw.
 */
export const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  input: unknown,
  prefix: string,
  shape?: Shape
): Result.Result<S["Type"], DamonError> => {
  const plain = snapshot(input, prefix, shape)
  return Result.isFailure(plain) ? Result.fail(plain.failure) : decodePlain(schema, plain.success, prefix)
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
