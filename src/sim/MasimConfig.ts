/**
 * masim workload configurations: the data model and a pure parser of masim's configuration
 * file format (sjp38/masim, `configs/*.cfg`). A configuration names memory regions and a list of
 * phases, each a set of weighted access patterns over those regions. The parser only reads
 * text; it neither runs a workload nor reads files (see `MasimFiles.ts` for that).
 */
import * as Result from "effect/Result"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"

/** One memory region of the workload (`struct mregion`). */
export interface MasimRegion {
  readonly name: string
  /** Size in bytes (positive). */
  readonly size: number
  /** Initial data file, or `null` when absent or `none`. */
  readonly initialDataFile: string | null
}

/** The read/write mode of a pattern; masim's default when omitted is taken as `ro`. */
export type MasimRwMode = "ro" | "wo" | "rw"

/** One access pattern of a phase (`struct access`). */
export interface MasimPattern {
  readonly region: string
  /** Index of `region` in {@link MasimConfig.regions}. */
  readonly regionIndex: number
  /** `true` for random accesses (`1`), `false` for a sequential sweep (`0`). */
  readonly random: boolean
  /** Distance between two accessed addresses, in bytes (positive). */
  readonly stride: number
  /** Relative weight among the phase's patterns (non-negative; a phase's weights sum above 0). */
  readonly probability: number
  readonly rwMode: MasimRwMode
}

/** One phase: a name, a duration and the patterns that run during it. */
export interface MasimPhase {
  readonly name: string
  /** Duration in milliseconds (positive). */
  readonly durationMs: number
  readonly patterns: ReadonlyArray<MasimPattern>
}

/** A parsed masim configuration. */
export interface MasimConfig {
  /** The name the configuration was loaded under (file name without `.cfg`). */
  readonly name: string
  readonly regions: ReadonlyArray<MasimRegion>
  readonly phases: ReadonlyArray<MasimPhase>
}

interface Line {
  readonly no: number
  readonly text: string
}

const DECIMAL = /^[0-9]+$/

const parseCount = (field: string): number | undefined => {
  if (!DECIMAL.test(field)) return undefined
  const n = Number(field)
  return Number.isSafeInteger(n) ? n : undefined
}

/** Splits the text into paragraphs of meaningful lines, dropping comment lines as masim does. */
const paragraphsOf = (text: string): Array<Array<Line>> => {
  const out: Array<Array<Line>> = []
  let cur: Array<Line> = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    const trimmed = raw.trim()
    if (trimmed.startsWith("#")) continue
    if (trimmed === "") {
      if (cur.length > 0) out.push(cur)
      cur = []
      continue
    }
    cur.push({ no: i + 1, text: raw })
  }
  if (cur.length > 0) out.push(cur)
  return out
}

const splitFields = (text: string): Array<string> => text.split(",").map((f) => f.trim())

/**
 * Parses a masim configuration; every bad line fails with `InvalidArgument` whose field is
 * `file:line`, whose value is the line and whose rule says what is wrong.
 *
 * **Details**
 * Mirrors masim's `read_config()`: comment lines (starting with `#`) are removed first, then
 * paragraphs are split at empty lines. The first paragraph lists regions
 * `name, size[, initial_data_file]`; each later one is a phase: a name line, a duration line in
 * milliseconds, and one or more patterns `region, 1|0, stride, probability[, ro|wo|rw]`.
 * Stricter than masim (which uses `atoi`): sizes, strides, durations and probabilities must be
 * decimal integers, region names unique, strides and durations positive, and every phase needs
 * at least one pattern with a non-zero probability.
 */
export const parseMasimConfig = (text: string, fileName: string): Result.Result<MasimConfig, DamonError> => {
  const bad = (line: Line, reason: string) => Result.fail(invalidArgument(`${fileName}:${line.no}`, line.text, reason))
  const paragraphs = paragraphsOf(text)
  if (paragraphs.length === 0) {
    return Result.fail(invalidArgument(`${fileName}:1`, text, "configuration is empty: expected a regions paragraph"))
  }
  const regions: Array<MasimRegion> = []
  const index = new Map<string, number>()
  for (const line of paragraphs[0]!) {
    const f = splitFields(line.text)
    if (f.length < 2) return bad(line, "region line needs `name, size_in_bytes[, initial_data_file]`: missing fields")
    if (f.length > 3) return bad(line, `region line has ${f.length} fields; expected 2 or 3`)
    const name = f[0]!
    if (name === "") return bad(line, "region name is empty")
    if (index.has(name)) return bad(line, `duplicate region "${name}"`)
    const size = parseCount(f[1]!)
    if (size === undefined) return bad(line, `region size "${f[1]}" is not a non-negative decimal integer`)
    if (size === 0) return bad(line, "region size must be positive")
    const file = f.length === 3 ? f[2]! : "none"
    index.set(name, regions.length)
    regions.push({ name, size, initialDataFile: file === "" || file === "none" ? null : file })
  }
  const phases: Array<MasimPhase> = []
  for (let p = 1; p < paragraphs.length; p++) {
    const lines = paragraphs[p]!
    const nameLine = lines[0]!
    const name = nameLine.text.trim()
    const durLine = lines[1]
    if (durLine === undefined) return bad(nameLine, "phase has no duration line (milliseconds) and no patterns")
    const durationMs = parseCount(durLine.text.trim())
    if (durationMs === undefined) return bad(durLine, "phase duration must be a decimal integer of milliseconds")
    if (durationMs === 0) return bad(durLine, "phase duration must be positive")
    if (lines.length < 3) return bad(durLine, `phase "${name}" has no access patterns`)
    const patterns: Array<MasimPattern> = []
    let weight = 0
    for (let i = 2; i < lines.length; i++) {
      const line = lines[i]!
      const f = splitFields(line.text)
      if (f.length < 4) {
        return bad(line, "pattern needs `region, random(1)|sequential(0), stride, probability[, ro|wo|rw]`: missing fields")
      }
      if (f.length > 5) return bad(line, `pattern has ${f.length} fields; expected 4 or 5`)
      const regionIndex = index.get(f[0]!)
      if (regionIndex === undefined) return bad(line, `unknown region name "${f[0]}"`)
      if (f[1] !== "0" && f[1] !== "1") return bad(line, `randomness "${f[1]}" must be 1 (random) or 0 (sequential)`)
      const stride = parseCount(f[2]!)
      if (stride === undefined) return bad(line, `stride "${f[2]}" is not a non-negative decimal integer`)
      if (stride === 0) return bad(line, "zero stride")
      const probability = parseCount(f[3]!)
      if (probability === undefined) return bad(line, `probability "${f[3]}" is not a non-negative decimal integer`)
      let rwMode: MasimRwMode = "ro"
      if (f.length === 5) {
        const m = f[4]!
        if (m !== "ro" && m !== "wo" && m !== "rw") return bad(line, `read/write mode "${m}" must be ro, wo or rw`)
        rwMode = m
      }
      weight += probability
      patterns.push({ region: f[0]!, regionIndex, random: f[1] === "1", stride, probability, rwMode })
    }
    if (weight === 0) return bad(lines[2]!, `phase "${name}" has only zero-probability patterns`)
    phases.push({ name, durationMs, patterns })
  }
  if (phases.length === 0) {
    const last = paragraphs[0]![paragraphs[0]!.length - 1]!
    return bad(last, "configuration has no phases after the regions paragraph")
  }
  const base = fileName.replace(/^.*[\\/]/, "").replace(/\.cfg$/, "")
  return Result.succeed({ name: base, regions, phases })
}

/** Total duration of one pass over every phase, in milliseconds. */
export const cycleMs = (config: MasimConfig): number => {
  let sum = 0
  for (const p of config.phases) sum += p.durationMs
  return sum
}

/** Total bytes of the workload's regions. */
export const totalSize = (config: MasimConfig): number => {
  let sum = 0
  for (const r of config.regions) sum += r.size
  return sum
}
