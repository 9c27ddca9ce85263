/**
 * Module parameters, the way `/sys/module/<module>/parameters/<name>` shows and stores them: the
 * kernel's `param_get_bool()` / `param_get_ulong()` / `param_get_int()` output formats, the
 * `param_set_*()` parsers (`kstrtobool()`, `kstrtoul()`), file modes (0600 inputs, 0400
 * read-only outputs), and the typed counterpart: a table that maps every input parameter to a
 * field of a module's typed parameter record, decoded with Schema. Pure; does not know what a
 * parameter means to its module (see `ReclaimParams.ts`, `LruSortParams.ts`).
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { renderValue, truncate } from "../internal/boundedText.ts"
import { snapshot } from "../internal/InputSnapshot.ts"
import { decode, ULong } from "../internal/validate.ts"
import { ULONG_MAX_SAFE } from "../internal/uint.ts"
import {
  accessDenied,
  type DamonError,
  invalidArgument,
  notFound,
  outOfRange
} from "../model/DamonError.ts"
import { kstrtobool, kstrtoul } from "../sysfs/Kstrtox.ts"

/** How a parameter's value is stored: `bool`, `unsigned long` or `int`. */
export type ParamKind = "bool" | "ulong" | "int"

/** A value of a module parameter. */
export type ParamValue = number | boolean

/** A typed parameter record: every input parameter as a number or a boolean. */
export type ParamRecord<P> = { readonly [K in keyof P]: ParamValue }

/**
 * One input parameter (mode 0600) backed by a field of the typed record.
 *
 * **Details**
 * Mirrors a `module_param()` / `module_param_named()` / `module_param_cb()` declaration.
 */
export interface InputParam<P extends ParamRecord<P>> {
  /** The kernel's parameter name (the file under `/sys/module/<module>/parameters/`). */
  readonly name: string
  /** The typed field. */
  readonly key: keyof P & string
  readonly kind: "bool" | "ulong"
  /** The store refuses 0 with `-EINVAL` (the modules' `addr_unit`). */
  readonly nonZero?: boolean
}

/** The largest `unsigned long` a parameter can hold here (2^53 - 1; see the module README). */
export const PARAM_ULONG_MAX = ULONG_MAX_SAFE

/**
 * Renders a value the way the kernel's `param_get_*()` does: `Y`/`N` for a bool, decimal for
 * numbers, one trailing newline.
 */
export const show = (kind: ParamKind, value: ParamValue): string =>
  kind === "bool" ? (value === true ? "Y\n" : "N\n") : `${String(value)}\n`

const tooLarge = `must be at most ${PARAM_ULONG_MAX} (2^53-1); larger u64 values cannot be honoured`

/**
 * Parses what a writer stored into a parameter file; errors name `<prefix>.<name>` (as the
 * kernel's boot command line spells the parameter) and the written text.
 *
 * **Details**
 * Mirrors `param_set_bool()` (`kstrtobool()`: `-EINVAL` for anything else) and
 * `param_set_ulong()` (`kstrtoul(val, 0, ...)`: `-EINVAL` for malformed text, `-ERANGE` beyond
 * 64 bits), plus the modules' `addr_unit` store (`-EINVAL` for 0).
 */
export const store = (
  prefix: string,
  param: { readonly name: string; readonly kind: "bool" | "ulong"; readonly nonZero?: boolean },
  text: string
): Result.Result<ParamValue, DamonError> => {
  const field = `${prefix}.${param.name}`
  if (typeof text !== "string") {
    return Result.fail(invalidArgument(field, text, "must be a string (the text written to the parameter file)"))
  }
  if (param.kind === "bool") {
    const b = kstrtobool(text)
    return Result.isSuccess(b) ? Result.succeed(b.success) : Result.fail(invalidArgument(field, text, b.failure.rule))
  }
  const n = kstrtoul(text)
  if (Result.isFailure(n)) {
    return Result.fail(
      n.failure.errno === "ERANGE" ? outOfRange(field, text, n.failure.rule) : invalidArgument(field, text, n.failure.rule)
    )
  }
  if (n.success > BigInt(PARAM_ULONG_MAX)) return Result.fail(invalidArgument(field, text, tooLarge))
  if (param.nonZero === true && n.success === 0n) return Result.fail(invalidArgument(field, text, "must not be 0"))
  return Result.succeed(Number(n.success))
}

const NonZeroULong = ULong.check(Schema.makeFilter((n: number) => (n !== 0 ? undefined : "must not be 0")))

/** Decodes a typed value for `param`; errors name `<prefix>.<name>` and the value. */
export const decodeValue = <P extends ParamRecord<P>>(
  prefix: string,
  param: InputParam<P>,
  value: unknown
): Result.Result<ParamValue, DamonError> => {
  const field = `${prefix}.${param.name}`
  if (param.kind === "bool") return decode(Schema.Boolean, value, field)
  return decode(param.nonZero === true ? NonZeroULong : ULong, value, field)
}

/**
 * Applies a typed patch (any subset of the fields) to `current`, all or nothing: the first bad
 * field fails the whole patch with an `InvalidArgument` naming the kernel parameter and the
 * value, and nothing changes.
 */
export const applyPatch = <P extends ParamRecord<P>>(
  prefix: string,
  table: ReadonlyArray<InputParam<P>>,
  current: P,
  patch: unknown
): Result.Result<P, DamonError> => {
  const copied = snapshot(patch, prefix)
  if (Result.isFailure(copied)) return Result.fail(copied.failure)
  const plain = copied.success
  if (plain === null || typeof plain !== "object" || Array.isArray(plain)) {
    return Result.fail(invalidArgument(prefix, plain, "must be an object of parameters"))
  }
  const next: Record<string, ParamValue> = { ...current }
  for (const [key, value] of Object.entries(plain)) {
    const param = table.find((p) => p.key === key)
    if (param === undefined) {
      return Result.fail(
        invalidArgument(`${prefix}.${key}`, value, `unknown parameter (one of ${table.map((p) => p.key).join(", ")})`)
      )
    }
    const decoded = decodeValue(prefix, param, value)
    if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
    next[key] = decoded.success
  }
  return Result.succeed(next as P)
}

/** A parameter name as a message shows it: a caller may pass anything, of any length. */
const nameText = (name: unknown): string => (typeof name === "string" ? truncate(name, 256) : renderValue(name))

/** `-ENOENT`: no such parameter file. */
export const noSuchParam = (prefix: string, name: string): DamonError =>
  notFound(`/sys/module/${prefix}/parameters/${nameText(name)}: no such parameter`)

/** `-EACCES`: a 0400 parameter file opened for writing (`kernfs_fop_open()` refuses it, even for root). */
export const readOnlyParam = (prefix: string, name: string): DamonError =>
  accessDenied(`/sys/module/${prefix}/parameters/${nameText(name)} is read-only (mode 0400)`)

/** Schema of an `unsigned long` parameter defaulting to `value`. */
export const ulongParam = (value: number) => ULong.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

/** Schema of a `bool` parameter defaulting to `value`. */
export const boolParam = (value: boolean) => Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

/** Schema of `addr_unit`: an `unsigned long` that must not be 0, defaulting to `value`. */
export const addrUnitParam = (value: number) =>
  ULong.check(Schema.makeFilter((n: number) => (n !== 0 ? undefined : "must not be 0"))).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(value))
  )
