/**
 * damo's value syntax (`_damo_fmt_str.py` of damonitor/damo): the text damo reads in its JSON
 * files and command-line options (`4 KiB`, `5 ms`, `1 m 30 s`, `max`, `50 %`, `1,234`) and the
 * two ways it prints values, machine-friendly (`raw`) and human. Values are JavaScript numbers
 * (IEEE doubles, like Python's floats wherever damo computes in floats); integers damo would hold
 * exactly above 2^53 come out rounded, which no caller needs exactly (they saturate at 2^53-1).
 * Pure.
 */
import * as Result from "effect/Result"

/** damo's `ulong_max` (2^64-1): what `max` means. */
export const ULONG_MAX = 18446744073709551615

/** A value damo accepts: a JSON number or a string in damo's syntax. */
export type DamoText = string | number

const INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/
const FLOAT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/

const bad = (rule: string): Result.Result<never, string> => Result.fail(rule)

/**
 * A number (`text_to_nr()`): JSON numbers as they are, `max` as ULONG_MAX, else the text without
 * thousands commas read as Python's `int()` or, failing that, `float()`.
 */
export const textToNr = (v: unknown): Result.Result<number, string> => {
  if (typeof v === "number") return Number.isFinite(v) ? Result.succeed(v) : bad("must be a finite number")
  if (typeof v !== "string") return bad("must be a number or a string")
  if (v === "max") return Result.succeed(ULONG_MAX)
  const t = v.replaceAll(",", "")
  if (INT.test(t)) return Result.succeed(Number(t.replaceAll("_", "")))
  if (FLOAT.test(t)) return Result.succeed(Number(t))
  return bad("must be a number (commas allowed) or max")
}

/** `try_common_input()`: `min` and `max` as the bounds, else {@link textToNr}. */
const common = (v: unknown, min: number, max = ULONG_MAX): Result.Result<number, string> => {
  if (v === "min") return Result.succeed(min)
  if (v === "max") return Result.succeed(max)
  return textToNr(v)
}

const unitToBytes: Readonly<Record<string, number>> = {
  B: 1,
  K: 2 ** 10,
  KB: 2 ** 10,
  KiB: 2 ** 10,
  M: 2 ** 20,
  MB: 2 ** 20,
  MiB: 2 ** 20,
  G: 2 ** 30,
  GB: 2 ** 30,
  GiB: 2 ** 30,
  T: 2 ** 40,
  TB: 2 ** 40,
  TiB: 2 ** 40,
  P: 2 ** 50,
  PB: 2 ** 50,
  PiB: 2 ** 50,
  E: 2 ** 60,
  EB: 2 ** 60,
  EiB: 2 ** 60
}

const SIZE_RULE = "must be a size: a number of bytes, min, max, or a number with a unit (B, K/KB/KiB, M, G, T, P, E)"

/** A size in bytes (`text_to_bytes()`): `4096`, `4 KiB`, `1.5 GB` (binary units), `min`, `max`. */
export const textToBytes = (v: unknown): Result.Result<number, string> => {
  const direct = common(v, 0)
  if (Result.isSuccess(direct) || typeof v !== "string") return direct
  for (const len of [3, 2, 1]) {
    if (v.length <= len && len > 1) continue
    const unit = v.slice(v.length - len)
    if (!Object.hasOwn(unitToBytes, unit)) continue
    const scale = unitToBytes[unit]!
    const n = textToNr(v.slice(0, v.length - len))
    if (Result.isFailure(n)) return bad(SIZE_RULE)
    return Result.succeed(Math.min(ULONG_MAX, Math.trunc(n.success * scale)))
  }
  return bad(SIZE_RULE)
}

const unitToNs: Readonly<Record<string, number>> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9 }

const TIME_RULE = "must be a time: a number, min, max, or numbers with units (ns, us, ms, s, m, h, d), e.g. 5 ms or 1 m 30 s"

/** A time in nanoseconds (`text_to_ns()`): `5 ms`, `1 m 30.500 s` (unit pairs add up), `max`. */
export const textToNs = (v: unknown): Result.Result<number, string> => {
  const direct = common(v, 0)
  if (Result.isSuccess(direct) || typeof v !== "string") return direct
  const fields = v.split(/\s+/).filter((f) => f !== "")
  if (fields.length > 1) {
    let sum = 0
    for (let i = 0; i < fields.length; i += 2) {
      const part = textToNs(fields.slice(i, i + 2).join(""))
      if (Result.isFailure(part)) return bad(TIME_RULE)
      sum += part.success
    }
    return Result.succeed(sum)
  }
  const two = v.slice(-2)
  const one = v.slice(-1)
  if (!Object.hasOwn(unitToNs, two) && !Object.hasOwn(unitToNs, one)) return FLOAT.test(v) ? Result.succeed(Number(v)) : bad(TIME_RULE)
  const unit = two === "ns" || two === "us" || two === "ms" ? two : one
  const n = textToNr(v.slice(0, v.length - unit.length))
  return Result.isFailure(n) ? bad(TIME_RULE) : Result.succeed(n.success * unitToNs[unit]!)
}

/** A time in microseconds (`text_to_us()`): a bare number is microseconds. */
export const textToUs = (v: unknown): Result.Result<number, string> => {
  const direct = common(v, 0)
  if (Result.isSuccess(direct) || typeof v !== "string") return direct
  return Result.map(textToNs(v), (ns) => ns / 1e3)
}

/** A time in milliseconds (`text_to_ms()`): a bare number is milliseconds. */
export const textToMs = (v: unknown): Result.Result<number, string> => {
  const direct = common(v, 0)
  if (Result.isSuccess(direct) || typeof v !== "string") return direct
  return Result.map(textToNs(v), (ns) => ns / 1e6)
}

/** A ratio (`text_to_ratio()`): `50 %` is 0.5; a bare number is the ratio itself. */
const textToRatio = (v: unknown): Result.Result<number, string> => {
  const direct = common(v, 0)
  if (Result.isSuccess(direct) || typeof v !== "string") return direct
  if (!v.endsWith("%")) return bad("must be a number, min, max, or a percentage such as 50 %")
  return Result.mapError(Result.map(textToNr(v.slice(0, -1)), (n) => n / 100), () => "must be a percentage such as 50 %")
}

/** Scales a ratio given as a percentage; a bare number is already in the unit (`text_to_bp()` & co). */
const inUnit = (scale: number) => (v: unknown): Result.Result<number, string> => {
  const direct = common(v, 0)
  if (Result.isSuccess(direct) || typeof v !== "string") return direct
  return Result.map(textToRatio(v), (r) => r * scale)
}

/** Basis points (`text_to_bp()`): `40 %` is 4000; a bare number is basis points. */
export const textToBp = inUnit(10000)
/** Permil (`text_to_permil()`): `50 %` is 500; a bare number is permil. */
export const textToPermil = inUnit(1000)
/** Percent (`text_to_percent()`): `5 %` is 5; a bare number is percent. */
export const textToPercent = inUnit(100)

/** A boolean (`text_to_bool()`): JSON booleans, or y/yes/true/n/no/false in any case. */
export const textToBool = (v: unknown): Result.Result<boolean, string> => {
  if (typeof v === "boolean") return Result.succeed(v)
  if (typeof v !== "string") return bad("must be a boolean or one of y, yes, true, n, no, false")
  const t = v.toLowerCase()
  if (t === "y" || t === "yes" || t === "true") return Result.succeed(true)
  if (t === "n" || t === "no" || t === "false") return Result.succeed(false)
  return bad("must be a boolean or one of y, yes, true, n, no, false")
}

/** `<number> <unit>` (`text_to_nr_unit()`), e.g. `3 samples`. */
export const textToNrUnit = (v: unknown): Result.Result<readonly [number, string], string> => {
  if (typeof v !== "string") return bad("must be a string '<number> <unit>'")
  const fields = v.split(/\s+/).filter((f) => f !== "")
  if (fields.length !== 2) return bad("must be '<number> <unit>'")
  return Result.map(textToNr(fields[0]!), (n) => [n, fields[1]!] as const)
}

// --- Printing -------------------------------------------------------------------------------

/**
 * Python's `'%.Nf' % x`: fixed notation rounding exact ties to even (JavaScript's `toFixed`
 * rounds them up).
 */
export const pyFixed = (x: number, digits: number): string => {
  const scale = 10 ** digits
  const scaled = x * scale
  const floor = Math.floor(scaled)
  if (scaled - floor === 0.5 && floor % 2 === 0) return (floor / scale).toFixed(digits)
  return x.toFixed(digits)
}

/** `'%d' % x` of Python: the integer part (ULONG_MAX, 2^64 as a double, prints as 2^64-1). */
const pyInt = (x: number): string => (x === ULONG_MAX ? "18446744073709551615" : BigInt(Math.trunc(x)).toString())

/** `format_nr()`: the integer part, with thousands commas unless `raw`. */
export const formatNr = (n: number, raw: boolean): string => {
  const s = pyInt(Math.abs(n))
  const sign = n < 0 && s !== "0" ? "-" : ""
  return raw ? `${sign}${s}` : `${sign}${s.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`
}

const sizeUnits: ReadonlyArray<readonly [number, string]> = [
  [2 ** 60, "EiB"],
  [2 ** 50, "PiB"],
  [2 ** 40, "TiB"],
  [2 ** 30, "GiB"],
  [2 ** 20, "MiB"],
  [2 ** 10, "KiB"]
]

/** `format_sz()`: bytes, or `max`, or three decimals of the largest binary unit it exceeds. */
export const formatSz = (bytes: number, raw: boolean): string => {
  if (raw) return pyInt(bytes)
  if (bytes === ULONG_MAX) return "max"
  for (const [scale, unit] of sizeUnits) if (bytes > scale) return `${pyFixed(bytes / scale, 3)} ${unit}`
  return `${pyInt(bytes)} B`
}

const nsUnits: ReadonlyArray<readonly [number, string]> = [
  [86400e9, "d"],
  [3600e9, "h"],
  [60e9, "m"],
  [1e9, "s"],
  [1e6, "ms"],
  [1e3, "us"],
  [1, "ns"]
]

/** `format_time_ns_min_unit(ns, 1, raw)` (`format_time_ns_exact()`): every unit spelled out, `max`. */
export const formatTimeNsExact = (ns: number, raw: boolean): string => {
  if (raw) return pyInt(ns)
  const sign = ns < 0 ? "-" : ""
  const t = Math.abs(ns)
  if (t >= ULONG_MAX) return `${sign}max`
  for (const [unitNs, unit] of nsUnits) {
    if (t < unitNs) continue
    if (unitNs === 1) return t % 1 === 0 ? `${sign}${pyInt(t)} ns` : `${sign}${pyFixed(t, 3)} ns`
    const nr = Math.trunc(t / unitNs)
    const head = `${formatNr(nr, false)} ${unit}`
    const less = t - nr * unitNs
    return less === 0 ? `${sign}${head}` : `${sign}${head} ${formatTimeNsExact(less, false)}`
  }
  return "0 ns"
}

/** `format_time_us_exact()`. */
export const formatTimeUsExact = (us: number, raw: boolean): string => (raw ? pyInt(us) : formatTimeNsExact(us * 1e3, false))

/** `format_time_ms_exact()`. */
export const formatTimeMsExact = (ms: number, raw: boolean): string => (raw ? pyInt(ms) : formatTimeNsExact(ms * 1e6, false))

/** `format_time_ns()`: at most two units, three decimals (human), or `max`. */
export const formatTimeNs = (ns: number, raw: boolean): string => {
  if (raw) return pyInt(ns)
  const sign = ns < 0 ? "-" : ""
  const t = Math.abs(ns)
  if (t >= ULONG_MAX) return `${sign}max`
  if (t >= 3600e9) {
    const h = Math.trunc(t / 3600e9)
    const rest = t - h * 3600e9
    return rest === 0 ? `${sign}${h} h` : `${sign}${h} h ${formatTimeNs(rest, false)}`
  }
  if (t >= 60e9) {
    const m = Math.trunc(t / 60e9)
    if (t % 60e9 === 0) return `${sign}${m} m`
    if (t % 1e9 === 0) return `${sign}${m} m ${Math.trunc((t % 60e9) / 1e9)} s`
    return `${sign}${m} m ${pyFixed((t % 60e9) / 1e9, 3)} s`
  }
  for (const [unitNs, unit] of [[1e9, "s"], [1e6, "ms"], [1e3, "us"]] as const) {
    if (t < unitNs) continue
    return t % unitNs === 0 ? `${sign}${Math.trunc(t / unitNs)} ${unit}` : `${sign}${pyFixed(t / unitNs, 3)} ${unit}`
  }
  return `${sign}${pyInt(t)} ns`
}

/** `format_time_us()`. */
export const formatTimeUs = (us: number, raw: boolean): string => (raw ? pyInt(us) : formatTimeNs(us * 1e3, false))

/** `format_ratio()`: a percentage with up to seven decimals, e.g. `50 %`, `0.1 %`. */
const formatRatio = (ratio: number): string => {
  const over = formatNr(Math.trunc(ratio * 100), false)
  const under = pyFixed((ratio * 100) % 1, 7).replace(/0+$/, "").slice(2)
  return under === "" ? `${over} %` : `${over}.${under} %`
}

/** `format_permil()`: `'%f'` when raw, else a percentage. */
export const formatPermil = (permil: number, raw: boolean): string => (raw ? pyFixed(permil, 6) : formatRatio(permil / 1000))

/** `format_bp()`: `'%f'` when raw, else a percentage. */
export const formatBp = (bp: number, raw: boolean): string => (raw ? pyFixed(bp, 6) : formatRatio(bp / 10000))
