/**
 * Bounded renderings of values and texts for error messages: whatever a caller passes (a 100 MB
 * string, a bigint of millions of bits, a Proxy whose every trap throws, a cyclic object), the
 * text that reaches a message is at most a few hundred characters and producing it never throws
 * and never walks more than it prints.
 *
 * @internal
 */

/** Characters of a rendered value kept in a message; the rest is counted, not shown. */
export const MAX_VALUE_CHARS = 256

/** Characters of a field path, a rule or a cause kept in a message. */
export const MAX_TEXT_CHARS = 1024

/** `text` cut to `max` characters, saying how many were left out. */
export const truncate = (text: string, max: number = MAX_TEXT_CHARS): string =>
  text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`

/** Bigints up to this many hex digits (256 bits) print in full; longer ones by their size. */
const MAX_BIGINT_HEX_DIGITS = 64

const renderBigint = (n: bigint): string => {
  // hex conversion is linear in the size, decimal is not: size the value first
  const hexDigits = (n < 0n ? -n : n).toString(16).length
  if (hexDigits <= MAX_BIGINT_HEX_DIGITS) return n.toString()
  return `${n < 0n ? "-" : ""}(a bigint of about ${hexDigits * 4} bits)`
}

/** A string that grows only up to `budget` characters, then just counts. */
class Writer {
  out = ""
  full = false
  readonly budget: number
  constructor(budget: number) {
    this.budget = budget
  }
  write(s: string): void {
    if (this.full) return
    if (this.out.length + s.length > this.budget) {
      this.out += s.slice(0, this.budget - this.out.length)
      this.full = true
    } else {
      this.out += s
    }
  }
}

const MAX_RENDER_DEPTH = 8

const renderInto = (w: Writer, value: unknown, depth: number, seen: Set<object>): void => {
  if (w.full) return
  switch (typeof value) {
    case "string":
      w.write(JSON.stringify(value.length > w.budget ? value.slice(0, w.budget) : value))
      return
    case "number":
    case "boolean":
      w.write(String(value))
      return
    case "bigint":
      w.write(renderBigint(value))
      return
    case "undefined":
      w.write("undefined")
      return
    case "symbol":
      w.write(truncate(value.toString(), MAX_VALUE_CHARS))
      return
    case "function":
      w.write("(a function)")
      return
  }
  if (value === null) {
    w.write("null")
    return
  }
  const obj = value as object
  if (seen.has(obj)) {
    w.write("(cycle)")
    return
  }
  if (depth >= MAX_RENDER_DEPTH) {
    w.write(Array.isArray(obj) ? "[...]" : "{...}")
    return
  }
  seen.add(obj)
  try {
    if (Array.isArray(obj)) {
      const length = obj.length
      w.write("[")
      for (let i = 0; i < length && !w.full; i++) {
        if (i > 0) w.write(",")
        renderInto(w, obj[i], depth + 1, seen)
      }
      w.write("]")
    } else {
      w.write("{")
      let first = true
      for (const key in obj) {
        if (w.full) break
        if (!Object.hasOwn(obj, key)) continue
        if (!first) w.write(",")
        first = false
        w.write(`${JSON.stringify(truncate(key, MAX_VALUE_CHARS))}:`)
        renderInto(w, (obj as Record<string, unknown>)[key], depth + 1, seen)
      }
      w.write("}")
    }
  } finally {
    seen.delete(obj)
  }
}

/**
 * Renders a value for an error message: strings quoted, numbers and bigints as written, objects
 * and arrays as JSON-like text, all cut to {@link MAX_VALUE_CHARS} characters (a string longer
 * than that: its quoted start and the count of characters left out). Never throws: a
 * value that cannot be read renders as `(unreadable value)`.
 */
export const renderValue = (value: unknown): string => {
  // a long string says how much was left out (a sysfs write of a page, a 100 MB path)
  if (typeof value === "string" && value.length > MAX_VALUE_CHARS) {
    return `${JSON.stringify(value.slice(0, MAX_VALUE_CHARS))}... (${value.length - MAX_VALUE_CHARS} more characters)`
  }
  const w = new Writer(MAX_VALUE_CHARS)
  try {
    renderInto(w, value, 0, new Set())
  } catch {
    return w.out === "" ? "(unreadable value)" : `${w.out}... (unreadable)`
  }
  return w.full ? `${w.out}... (more)` : w.out
}

/** The message of a thrown value, bounded; never throws. */
export const describeThrown = (u: unknown): string => {
  try {
    if (u instanceof Error) return truncate(String(u.message))
    return typeof u === "string" ? truncate(u) : renderValue(u)
  } catch {
    return "(unreadable error)"
  }
}
