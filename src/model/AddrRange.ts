/**
 * Address ranges: `struct damon_addr_range` (half-open `[start, end)`) and
 * `struct damon_size_range` (closed `[min, max]`). Pure values; no clock, no randomness.
 */

/** A half-open address range `[start, end)`, in bytes. Mirrors `struct damon_addr_range`. */
export interface AddrRange {
  readonly start: number
  readonly end: number
}

/** A closed size range `[min, max]`, in bytes. Mirrors `struct damon_size_range`. */
export interface SizeRange {
  readonly min: number
  readonly max: number
}

/** Creates a range. */
export const make = (start: number, end: number): AddrRange => ({ start, end })

/** Size of the range in bytes. */
export const size = (self: AddrRange): number => self.end - self.start

/** True when the two half-open ranges share at least one byte (`damon_intersect()`). */
export const intersects = (a: AddrRange, b: AddrRange): boolean => !(a.end <= b.start || b.end <= a.start)

/** True when `addr` lies in `[start, end)`. */
export const contains = (self: AddrRange, addr: number): boolean => addr >= self.start && addr < self.end
