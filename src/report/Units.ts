/**
 * Units for reports and pictures: byte and duration formatting like damo (`4.000 KiB`,
 * `1.500 s`), and the unit an axis should use for a given extent, so labels read `12 MiB`
 * rather than `12582912`. Pure.
 */

const sizeNames = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"] as const

/** Formats a byte count like damo: `512 B`, `4.000 KiB`. */
export const formatSize = (bytes: number): string => {
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < sizeNames.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(3)} ${sizeNames[unit]}`
}

/** Formats a duration in microseconds with the largest fitting unit: `1.500 s`, `100.000 ms`. */
export const formatDurationUs = (us: number): string => {
  if (Math.abs(us) >= 1_000_000) return `${(us / 1_000_000).toFixed(3)} s`
  if (Math.abs(us) >= 1_000) return `${(us / 1_000).toFixed(3)} ms`
  return `${us} us`
}

/** Formats an address in hex like the kernel's tracepoints: `0x7fff0000`. */
export const formatAddress = (addr: number): string => `0x${Math.round(addr).toString(16)}`

/** An axis unit: its name and how many base units (bytes or microseconds) one of it is. */
export interface AxisUnit {
  readonly name: string
  readonly scale: number
}

/** The largest binary size unit in which `extentBytes` is at least 1 (`B` for tiny extents). */
export const sizeUnitFor = (extentBytes: number): AxisUnit => {
  let unit = 0
  while (extentBytes >= 1024 ** (unit + 1) && unit < sizeNames.length - 1) unit++
  return { name: sizeNames[unit]!, scale: 1024 ** unit }
}

/** `s` for extents of a second or more, `ms` down to a millisecond, else `us`. */
export const timeUnitFor = (extentUs: number): AxisUnit => {
  if (extentUs >= 1_000_000) return { name: "s", scale: 1_000_000 }
  if (extentUs >= 1_000) return { name: "ms", scale: 1_000 }
  return { name: "us", scale: 1 }
}
