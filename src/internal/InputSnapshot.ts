/**
 * A guarded snapshot of untrusted input: a bounded-depth, bounded-size copy made of plain
 * objects, arrays and primitives, taken before anything decodes it. Every property is read once,
 * inside `try`, so a throwing getter or Proxy trap, a cycle, a value nested too deep, a huge
 * string, array or object, a function or a symbol becomes a `DamonError` naming the field path,
 * never a thrown exception. Decoders then work on the copy, which cannot change under them and
 * cannot throw when read.
 *
 * Array lengths are checked before any element is read, against a per-path limit from a
 * {@link Shape} (e.g. at most 4096 targets) or the default; past it is `ENOMEM` (a limit), as
 * is a snapshot larger than `maxValues` in all. Everything else is `EINVAL`.
 *
 * @internal
 */
import * as Result from "effect/Result"
import { type DamonError, invalidArgumentText, limitExceeded, outOfMemory } from "../model/DamonError.ts"
import { describeThrown, truncate } from "./boundedText.ts"

/** Per-path array limits: the limit of the array at this node, and the shapes below it. */
export interface Shape {
  /** Largest length of the array at this node, and what it bounds (`"targets per context"`). */
  readonly maxItems?: { readonly max: number; readonly what: string }
  /** Shape of every array element. */
  readonly items?: Shape
  /** Shapes of named object fields. */
  readonly fields?: { readonly [key: string]: Shape }
  /** Leave this field out of the copy without reading it (state a decoder does not use). */
  readonly skip?: boolean
}

/** Bounds of a snapshot. */
export interface SnapshotLimits {
  /** Objects and arrays nest at most this deep (the input itself is depth 0). */
  readonly maxDepth: number
  /** Values (objects, arrays, primitives) in the whole snapshot. */
  readonly maxValues: number
  /** Characters of one string. */
  readonly maxStringLength: number
  /** Length of an array the shape says nothing about. */
  readonly maxItems: number
  /** Own enumerable fields of one object. */
  readonly maxFields: number
}

/**
 * The default bounds: deep enough for every config (the deepest, a filter's `addrRange.start`
 * in a scheme in a config, is depth 5), large enough for the largest legal config (65 536
 * ranges of 3 values each), and far below what would exhaust memory or time.
 */
export const defaultLimits: SnapshotLimits = {
  maxDepth: 32,
  maxValues: 1 << 18,
  maxStringLength: 4096,
  maxItems: 1 << 16,
  maxFields: 256
}

/** Renders a path of keys as `targets[0].regions[3].end`; `(input)` for the root. */
export const joinPath = (prefix: string, path: ReadonlyArray<PropertyKey>): string => {
  let out = prefix
  for (const key of path) {
    if (typeof key === "number" || (typeof key === "string" && /^\d+$/.test(key))) out += `[${String(key)}]`
    else out += out === "" ? truncate(String(key), 64) : `.${truncate(String(key), 64)}`
  }
  return out === "" ? "(input)" : out
}

/** Thrown inside the walk, caught once at its top. */
class Refused {
  readonly error: DamonError
  constructor(error: DamonError) {
    this.error = error
  }
}

const emptyShape: Shape = {}

/**
 * Copies `input` into plain data within `limits`, checking array lengths against `shape`;
 * errors name the field under `prefix`.
 *
 * **Details**
 * Own enumerable string keys only (what `Object.keys` gives), each read once; array elements by
 * index up to the length read once (holes become `undefined`); other array keys are ignored.
 * Objects shared by two branches are copied twice (only a value containing itself is refused).
 * Bigints are kept (decoders refuse them where a number is expected, naming the field).
 */
export const snapshot = (
  input: unknown,
  prefix: string,
  shape: Shape = emptyShape,
  limits: SnapshotLimits = defaultLimits
): Result.Result<unknown, DamonError> => {
  // Getters and traps may throw anywhere below; the walk does not catch per read (that would
  // cost a closure per value): the throw unwinds to the top, where `path` still names the field
  // being read.
  const path: Array<PropertyKey> = []
  const onPath = new Set<object>()
  let values = 0
  const at = (): string => joinPath(prefix, path)
  const refuse = (valueText: string, rule: string): never => {
    throw new Refused(invalidArgumentText(at(), valueText, rule))
  }

  const copy = (value: unknown, depth: number, here: Shape): unknown => {
    if (++values > limits.maxValues) {
      throw new Refused(outOfMemory(`${prefix === "" ? "(input)" : prefix}: more than ${limits.maxValues} values: at most ${limits.maxValues} values in one input`))
    }
    switch (typeof value) {
      case "string":
        if (value.length > limits.maxStringLength) {
          refuse(`(a string of ${value.length} characters)`, `must be at most ${limits.maxStringLength} characters`)
        }
        return value
      case "number":
      case "boolean":
      case "bigint":
      case "undefined":
        return value
      case "symbol":
        return refuse(truncate(value.toString(), 64), "a symbol is not a value here")
      case "function":
        return refuse("(a function)", "a function is not a value here")
    }
    if (value === null) return null
    const obj = value as object
    if (onPath.has(obj)) return refuse("(a cycle)", "must not contain itself")
    if (depth >= limits.maxDepth) return refuse("(nested too deep)", `values nest at most ${limits.maxDepth} levels deep`)
    onPath.add(obj)
    const out = Array.isArray(obj) ? copyArray(obj as ReadonlyArray<unknown>, depth, here) : copyObject(obj, depth, here)
    onPath.delete(obj)
    return out
  }

  const copyArray = (arr: ReadonlyArray<unknown>, depth: number, here: Shape): Array<unknown> => {
    const length: unknown = arr.length
    if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) {
      return refuse("(an array without a valid length)", "must be an array")
    }
    const max = here.maxItems?.max ?? limits.maxItems
    if (length > max) {
      throw new Refused(limitExceeded(at(), length, `at most ${max} ${here.maxItems?.what ?? "entries in an array"}`))
    }
    const items = here.items ?? emptyShape
    const out: Array<unknown> = new Array(length)
    for (let i = 0; i < length; i++) {
      path.push(i)
      out[i] = copy(arr[i], depth + 1, items)
      path.pop()
    }
    return out
  }

  const copyObject = (obj: object, depth: number, here: Shape): Record<string, unknown> => {
    const keys = Object.keys(obj)
    if (keys.length > limits.maxFields) {
      throw new Refused(limitExceeded(at(), keys.length, `at most ${limits.maxFields} fields in an object`))
    }
    const out: Record<string, unknown> = {}
    for (const key of keys) {
      const below = here.fields?.[key] ?? emptyShape
      if (below.skip === true) continue
      path.push(key)
      if (key.length > limits.maxStringLength) refuse("(a very long field name)", `field names are at most ${limits.maxStringLength} characters`)
      const v = copy((obj as Record<string, unknown>)[key], depth + 1, below)
      // a key named `__proto__` must stay a plain (unknown) field, not set the prototype
      if (key === "__proto__") Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true })
      else out[key] = v
      path.pop()
    }
    return out
  }

  try {
    return Result.succeed(copy(input, 0, shape))
  } catch (cause) {
    if (cause instanceof Refused) return Result.fail(cause.error)
    // a getter or Proxy trap threw (or the engine gave up inside one): a typed refusal naming
    // the field, never a defect
    return Result.fail(invalidArgumentText(joinPath(prefix, path), "(unreadable)", `reading it threw: ${describeThrown(cause)}`))
  }
}
