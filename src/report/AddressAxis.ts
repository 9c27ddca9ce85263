/**
 * The address axis of a heatmap or a snapshot picture: the monitored ranges laid end to end with
 * the unmonitored gaps squeezed out (a process's heap and stack are terabytes apart; drawn to
 * scale, both would be invisible). An address maps to an offset on the axis; the axis splits
 * into equal columns. Pure; the axis is an immutable value.
 */

/** A monitored range and where it starts on the axis. */
export interface Span {
  readonly start: number
  readonly end: number
  /** Axis position of `start`: the bytes of all spans below this one. */
  readonly offset: number
}

/** The spans in address order, disjoint and not touching, and their total bytes. */
export interface AddressAxis {
  readonly spans: ReadonlyArray<Span>
  readonly total: number
}

/** An address range `[start, end)`. */
export interface Range {
  readonly start: number
  readonly end: number
}

/** The axis with no span. */
export const empty: AddressAxis = { spans: [], total: 0 }

/** The axis over the union of `ranges` (overlapping or touching ranges become one span). */
export const fromRanges = (ranges: Iterable<Range>): AddressAxis => {
  const sorted = [...ranges].filter((r) => r.end > r.start).sort((a, b) => a.start - b.start)
  const merged: Array<{ start: number; end: number }> = []
  for (const r of sorted) {
    const last = merged[merged.length - 1]
    if (last !== undefined && r.start <= last.end) last.end = Math.max(last.end, r.end)
    else merged.push({ start: r.start, end: r.end })
  }
  let offset = 0
  const spans = merged.map((m) => {
    const span = { start: m.start, end: m.end, offset }
    offset += m.end - m.start
    return span
  })
  return { spans, total: offset }
}

/** The axis over the union of `axis` and `ranges`. */
export const extend = (axis: AddressAxis, ranges: Iterable<Range>): AddressAxis =>
  fromRanges([...axis.spans, ...ranges])

/** Index of the last span starting at or below `addr`, or -1. */
const spanIndexAt = (axis: AddressAxis, addr: number): number => {
  let lo = 0
  let hi = axis.spans.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (axis.spans[mid]!.start <= addr) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}

/** True when `[start, end)` lies inside the axis (within one span, as spans never touch). */
export const covers = (axis: AddressAxis, start: number, end: number): boolean => {
  const i = spanIndexAt(axis, start)
  return i >= 0 && end <= axis.spans[i]!.end
}

/** The axis offset of `addr`, or undefined outside every span. */
export const offsetOf = (axis: AddressAxis, addr: number): number | undefined => {
  const i = spanIndexAt(axis, addr)
  if (i < 0) return undefined
  const span = axis.spans[i]!
  return addr < span.end ? span.offset + (addr - span.start) : undefined
}

/** The address at axis offset `offset` (the end of the last span for `offset >= total`). */
export const addressAt = (axis: AddressAxis, offset: number): number => {
  for (const span of axis.spans) {
    if (offset < span.offset + (span.end - span.start)) return span.start + Math.max(0, offset - span.offset)
  }
  const last = axis.spans[axis.spans.length - 1]
  return last === undefined ? 0 : last.end
}

/**
 * Calls `add(col, bytes)` for every column of a `width`-column axis that `[start, end)`
 * overlaps, with the overlapping bytes (fractional where a column boundary falls inside a byte,
 * since columns need not be whole bytes). Bytes outside the axis are not reported.
 */
export const spreadOverColumns = (
  axis: AddressAxis,
  width: number,
  start: number,
  end: number,
  add: (col: number, bytes: number) => void
): void => {
  if (axis.total <= 0) return
  const colBytes = axis.total / width
  const first = Math.max(0, spanIndexAt(axis, start))
  for (let i = first; i < axis.spans.length; i++) {
    const span = axis.spans[i]!
    if (span.start >= end) break
    const lo = Math.max(start, span.start)
    const hi = Math.min(end, span.end)
    if (lo >= hi) continue
    let pos = span.offset + (lo - span.start)
    const stop = span.offset + (hi - span.start)
    let col = Math.min(Math.floor(pos / colBytes), width - 1)
    while (pos < stop) {
      // floating-point division can land one column early right at a boundary
      while (col < width - 1 && (col + 1) * colBytes <= pos) col++
      const next = col === width - 1 ? stop : Math.min(stop, (col + 1) * colBytes)
      add(col, next - pos)
      pos = next
      col++
    }
  }
}

/** Calls `piece(start, end)` for the address ranges of the axis offsets `[from, to)`. */
export const rangesAt = (
  axis: AddressAxis,
  from: number,
  to: number,
  piece: (start: number, end: number) => void
): void => {
  for (const span of axis.spans) {
    const size = span.end - span.start
    const lo = Math.max(from, span.offset)
    const hi = Math.min(to, span.offset + size)
    if (lo < hi) piece(span.start + (lo - span.offset), span.start + (hi - span.offset))
  }
}
