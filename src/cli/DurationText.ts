/**
 * Durations on the command line, in damo's time syntax (`5ms`, `1m 30s`, `2 h`) with one
 * difference: a bare number is seconds (damo's `record --timeout` is in seconds), not
 * microseconds. Dependency-free and pure: the flag parsers load it at every start of the CLI.
 */

const unitUs: Readonly<Record<string, number>> = { ns: 1e-3, us: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6, d: 86400e6 }

/** Microseconds of `text`, or `undefined` when it is not a duration. */
export const textToUs = (text: string): number | undefined => {
  const t = text.trim()
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1e6
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)\s*(ns|us|ms|s|m|h|d)(?=\s|\d|$)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join("").replace(/\s/g, "") !== t.replace(/\s/g, "")) return undefined
  return parts.reduce((sum, p) => sum + Number(p[1]) * unitUs[p[2]!]!, 0)
}
