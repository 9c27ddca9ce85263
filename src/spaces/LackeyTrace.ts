/**
 * A streaming parser of valgrind lackey's memory traces (`valgrind --tool=lackey
 * --trace-mem=yes`): one access per line, `I  addr,size` (instruction fetch), ` L addr,size`
 * (load), ` S addr,size` (store), ` M addr,size` (modify: load and store), the address in
 * hexadecimal and the size in decimal bytes. Valgrind's own commentary (`==pid== ...`,
 * `--pid-- ...`) and empty lines are skipped.
 *
 * The parser is fed byte chunks as they arrive and never holds more than one partial line
 * ({@link MAX_LINE_BYTES}) besides its output batch, so a trace of any length streams in bounded
 * memory. Output is a batch of typed arrays (page numbers, pages spanned, kinds) handed to a
 * callback whenever it fills and at the end of each chunk; addresses are kept as page numbers
 * (exact for the whole 64-bit space). Pure: no I/O, no clock.
 */
import { type DamonError, invalidArgument } from "../model/DamonError.ts"

/** Longest line accepted (commentary included); longer ones are binary junk or a broken file. */
export const MAX_LINE_BYTES = 4096

/** Record kinds, as stored in {@link RecordBatch.kinds}. */
export const Kind = { instr: 0, load: 1, store: 2, modify: 3 } as const

/** A batch of parsed accesses; only the first `count` entries of each array are valid. */
export interface RecordBatch {
  /** Page number (`addr / 4096`) of the first byte accessed. */
  readonly pages: Float64Array
  /** Pages after the first that the access also touches (0 unless it crosses a page boundary). */
  readonly extraPages: Uint32Array
  /** {@link Kind} of each access. */
  readonly kinds: Uint8Array
  count: number
}

/** Options of {@link make}. */
export interface ParserOptions {
  /** Name of the source in error messages (`file:line`). Defaults to `"trace"`. */
  readonly source?: string
  /**
   * Skip malformed lines instead of failing: each is counted in `badLines` and the first ten are
   * kept (line number and reason) in `badLineSamples`. Defaults to `false`.
   */
  readonly skipBadLines?: boolean
  /** Records per batch. Defaults to 16384. */
  readonly batchSize?: number
}

/** What the parser has seen so far. */
export interface ParserStats {
  /** Lines read (complete lines, and a last line without a newline once ended). */
  readonly lines: number
  /** Access records emitted, by kind: instructions, loads, stores, modifies. */
  readonly records: number
  readonly instructions: number
  readonly loads: number
  readonly stores: number
  readonly modifies: number
  /** Valgrind commentary and empty lines skipped. */
  readonly commentLines: number
  /** Malformed lines skipped (only with `skipBadLines`). */
  readonly badLines: number
  /** The first malformed lines skipped, with their errors. */
  readonly badLineSamples: ReadonlyArray<DamonError>
  /** Bytes fed. */
  readonly bytes: number
}

/** A streaming lackey parser. */
export interface LackeyParser {
  /**
   * Parses `chunk`, calling `onBatch` each time the batch fills and once at the end with what
   * remains (the batch is reused: consume it before returning). Returns the first malformed
   * line's error (nothing after it is parsed) unless `skipBadLines`.
   */
  readonly feed: (chunk: Uint8Array, onBatch: (batch: RecordBatch) => void) => DamonError | undefined
  /** Ends the input: parses a last line left without a newline. */
  readonly end: (onBatch: (batch: RecordBatch) => void) => DamonError | undefined
  readonly stats: () => ParserStats
}

const HEX = new Int8Array(256).fill(-1)
for (let c = 0; c < 10; c++) HEX[48 + c] = c
for (let c = 0; c < 6; c++) {
  HEX[97 + c] = 10 + c
  HEX[65 + c] = 10 + c
}
const NL = 10
const CR = 13
const SPACE = 32
const COMMA = 44
const TWO_52 = 2 ** 52
const MAX_SAMPLES = 10
/** Largest size field accepted (2^31 - 1 bytes). */
const MAX_SIZE = 0x7fff_ffff

/** The line as text for an error (bytes as Latin-1, at most 80 characters). */
const printable = (bytes: Uint8Array, s: number, e: number): string => {
  let out = ""
  for (let i = s; i < e && i < s + 80; i++) out += String.fromCharCode(bytes[i]!)
  return e - s > 80 ? `${out}...` : out
}

/** Creates a parser. */
export const make = (options: ParserOptions = {}): LackeyParser => {
  const source = options.source ?? "trace"
  const skipBad = options.skipBadLines ?? false
  const cap = Math.max(1, options.batchSize ?? 16384)
  const batch: RecordBatch = { pages: new Float64Array(cap), extraPages: new Uint32Array(cap), kinds: new Uint8Array(cap), count: 0 }
  const counts = new Float64Array(4)
  const carry = new Uint8Array(MAX_LINE_BYTES + 2)
  let carryLen = 0
  /** A too-long line is being skipped until its newline. */
  let skippingLong = false
  let lineNo = 0
  let commentLines = 0
  let badLines = 0
  let bytes = 0
  const samples: Array<DamonError> = []

  const bad = (no: number, text: string, rule: string): DamonError => invalidArgument(`${source}:${no}`, text, rule)

  /** Records a bad line: an error to return, or `undefined` when skipping. */
  const badLine = (error: DamonError): DamonError | undefined => {
    if (!skipBad) return error
    badLines++
    if (samples.length < MAX_SAMPLES) samples.push(error)
    return undefined
  }

  const flush = (onBatch: (b: RecordBatch) => void): void => {
    if (batch.count > 0) {
      onBatch(batch)
      batch.count = 0
    }
  }

  /**
   * Parses the line `buf[s, e)` (no newline; a trailing CR is allowed): emits a record and
   * returns `undefined`, skips commentary, or returns why the line is malformed.
   */
  const parseLine = (buf: Uint8Array, s: number, e: number): string | undefined => {
    if (e > s && buf[e - 1] === CR) e--
    if (e === s) {
      commentLines++
      return undefined
    }
    const c0 = buf[s]!
    if ((c0 === 61 || c0 === 45) && e - s >= 2 && buf[s + 1] === c0) {
      commentLines++
      return undefined
    }
    let kind: number
    if (c0 === 73) {
      if (e - s < 3 || buf[s + 1] !== SPACE || buf[s + 2] !== SPACE) return "an instruction line is `I  addr,size` (two spaces after I)"
      kind = Kind.instr
    } else if (c0 === SPACE) {
      const c1 = e - s > 1 ? buf[s + 1]! : 0
      kind = c1 === 76 ? Kind.load : c1 === 83 ? Kind.store : c1 === 77 ? Kind.modify : -1
      if (kind < 0 || e - s < 3 || buf[s + 2] !== SPACE) return "a data line is ` L addr,size`, ` S addr,size` or ` M addr,size`"
    } else {
      return c0 >= 32 && c0 < 127
        ? "not a lackey line: expected `I  `, ` L `, ` S `, ` M ` or valgrind commentary (`==`)"
        : `not a lackey line: starts with byte 0x${c0.toString(16).padStart(2, "0")} (binary data?)`
    }
    let i = s + 3
    // Address: hexadecimal, leading zeros skipped, at most 16 significant digits (64 bits).
    while (i < e && buf[i] === 48) i++
    const digitsFrom = i
    let v = 0
    while (i < e) {
      const d = HEX[buf[i]!]!
      if (d < 0) break
      v = v * 16 + d
      i++
    }
    const digits = i - digitsFrom
    if (digits === 0 && (i === s + 3 || buf[s + 3] !== 48)) {
      return i < e && buf[i] !== COMMA ? "the address must be hexadecimal digits" : "missing address"
    }
    if (digits > 16) return `the address has ${digits} significant hexadecimal digits: beyond 64 bits`
    if (i >= e) return "truncated line: missing `,size` after the address"
    if (buf[i] !== COMMA) return "the address must be hexadecimal digits followed by `,size`"
    i++
    let size = 0
    const sizeFrom = i
    while (i < e) {
      const c = buf[i]!
      if (c < 48 || c > 57) break
      size = size * 10 + (c - 48)
      i++
    }
    if (i === sizeFrom) return i < e ? "the size must be a decimal number of bytes" : "truncated line: missing the size after `,`"
    if (i !== e) return "unexpected characters after the size"
    if (size > MAX_SIZE) return `the size ${size} is larger than ${MAX_SIZE} bytes`
    let page: number
    let last: number
    if (digits <= 13) {
      // Up to 52 bits: exact as a double.
      page = Math.floor(v / 4096)
      last = Math.floor((v + (size > 0 ? size - 1 : 0)) / 4096)
    } else {
      let big = 0n
      for (let k = digitsFrom; k < digitsFrom + digits; k++) big = big * 16n + BigInt(HEX[buf[k]!]!)
      page = Number(big >> 12n)
      last = Number((big + BigInt(size > 0 ? size - 1 : 0)) >> 12n)
      if (last >= TWO_52) return "the access ends beyond the 64-bit address space"
    }
    const n = batch.count
    batch.pages[n] = page
    batch.extraPages[n] = last - page
    batch.kinds[n] = kind
    batch.count = n + 1
    counts[kind]!++
    return undefined
  }

  /**
   * The common case in one pass: an access line with an address of at most 13 hex digits,
   * complete up to its newline in `buf`. Emits the record and returns the index after the
   * newline, or -1 for anything else (the caller then takes the general path, which also
   * reports errors).
   */
  const fastLine = (buf: Uint8Array, s: number, n: number): number => {
    if (s + 6 > n) return -1
    const c0 = buf[s]!
    let kind: number
    if (c0 === 73) {
      if (buf[s + 1] !== SPACE) return -1
      kind = Kind.instr
    } else if (c0 === SPACE) {
      const c1 = buf[s + 1]!
      kind = c1 === 76 ? Kind.load : c1 === 83 ? Kind.store : c1 === 77 ? Kind.modify : -1
      if (kind < 0) return -1
    } else return -1
    if (buf[s + 2] !== SPACE) return -1
    let i = s + 3
    let v = 0
    let d = HEX[buf[i]!]!
    if (d < 0) return -1
    const digitsFrom = i
    while (d >= 0) {
      v = v * 16 + d
      if (++i >= n) return -1
      d = HEX[buf[i]!]!
    }
    // more than 13 digits may exceed 2^53: the general path checks the significant ones
    if (i - digitsFrom > 13 || buf[i] !== COMMA) return -1
    if (++i >= n) return -1
    let c = buf[i]!
    if (c < 48 || c > 57) return -1
    let size = 0
    while (c >= 48 && c <= 57) {
      size = size * 10 + (c - 48)
      if (++i >= n) return -1
      c = buf[i]!
    }
    if (c !== NL || size > 65536) return -1
    const page = Math.floor(v / 4096)
    const nb = batch.count
    batch.pages[nb] = page
    batch.extraPages[nb] = Math.floor((v + (size > 0 ? size - 1 : 0)) / 4096) - page
    batch.kinds[nb] = kind
    batch.count = nb + 1
    counts[kind]!++
    return i + 1
  }

  /** Handles one complete line; returns an error to stop with. */
  const line = (buf: Uint8Array, s: number, e: number): DamonError | undefined => {
    lineNo++
    const why = parseLine(buf, s, e)
    return why === undefined ? undefined : badLine(bad(lineNo, printable(buf, s, e), why))
  }

  const tooLong = (): DamonError | undefined =>
    badLine(bad(lineNo + 1, `${MAX_LINE_BYTES}+ bytes`, `line longer than ${MAX_LINE_BYTES} bytes without a newline (binary data?)`))

  const feed = (chunk: Uint8Array, onBatch: (b: RecordBatch) => void): DamonError | undefined => {
    bytes += chunk.length
    const fail = (err: DamonError): DamonError => {
      flush(onBatch)
      return err
    }
    const n = chunk.length
    let i = 0
    // Finish the line carried over from the previous chunk (or skip the rest of a long one).
    if (carryLen > 0 || skippingLong) {
      let nl = i
      while (nl < n && chunk[nl] !== NL) nl++
      if (skippingLong) {
        if (nl === n) return undefined
        skippingLong = false
        lineNo++
        i = nl + 1
      } else {
        if (carryLen + (nl - i) > MAX_LINE_BYTES) {
          carryLen = 0
          const err = tooLong()
          if (err !== undefined) return fail(err)
          if (nl === n) {
            skippingLong = true
            return undefined
          }
          lineNo++
          i = nl + 1
        } else {
          carry.set(chunk.subarray(i, nl), carryLen)
          carryLen += nl - i
          if (nl === n) return undefined
          const len = carryLen
          carryLen = 0
          if (batch.count === cap) flush(onBatch)
          const err = line(carry, 0, len)
          if (err !== undefined) return fail(err)
          i = nl + 1
        }
      }
    }
    while (i < n) {
      if (batch.count === cap) flush(onBatch)
      const after = fastLine(chunk, i, n)
      if (after > 0) {
        lineNo++
        i = after
        continue
      }
      let nl = i
      while (nl < n && chunk[nl] !== NL) nl++
      if (nl === n) {
        // An incomplete last line: keep it for the next chunk.
        if (n - i > MAX_LINE_BYTES) {
          const err = tooLong()
          if (err !== undefined) return fail(err)
          skippingLong = true
        } else {
          carry.set(chunk.subarray(i, n), 0)
          carryLen = n - i
        }
        break
      }
      if (nl - i > MAX_LINE_BYTES) {
        const err = tooLong()
        if (err !== undefined) return fail(err)
        lineNo++
        i = nl + 1
        continue
      }
      if (batch.count === cap) flush(onBatch)
      const err = line(chunk, i, nl)
      if (err !== undefined) return fail(err)
      i = nl + 1
    }
    flush(onBatch)
    return undefined
  }

  const end = (onBatch: (b: RecordBatch) => void): DamonError | undefined => {
    let err: DamonError | undefined
    if (skippingLong) {
      skippingLong = false
      lineNo++
    } else if (carryLen > 0) {
      const len = carryLen
      carryLen = 0
      if (batch.count === cap) flush(onBatch)
      err = line(carry, 0, len)
    }
    flush(onBatch)
    return err
  }

  const stats = (): ParserStats => ({
    lines: lineNo,
    records: counts[0]! + counts[1]! + counts[2]! + counts[3]!,
    instructions: counts[0]!,
    loads: counts[1]!,
    stores: counts[2]!,
    modifies: counts[3]!,
    commentLines,
    badLines,
    badLineSamples: [...samples],
    bytes
  })

  return { feed, end, stats }
}
