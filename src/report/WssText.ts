/**
 * The WSS distribution as text, in the layout of damo's `report wss`: a header, the mean, then
 * one line per percentile with the size and a bar scaled to the largest value shown. Estimates
 * (past the exact capacity, or merged time bins) are marked. Pure.
 */
import { formatSize } from "./Units.ts"
import { average, isExact, percentiles, type SortBy, type WssDistribution } from "./WssDistribution.ts"

/** What to print. */
export interface WssTextOptions {
  readonly sortBy?: SortBy
  /** Default 0, 25, 50, 75, 100 (damo's `--range 0 101 25`). */
  readonly percentiles?: ReadonlyArray<number>
  /** Columns of the bars; 0 for none (damo's `--nr_cols_bar`, default 59). */
  readonly barColumns?: number
}

/** Renders the percentiles of the distribution. */
export const formatWss = (dist: WssDistribution, options: WssTextOptions = {}): string => {
  const sortBy = options.sortBy ?? "size"
  const lines = [`# <${sortBy === "size" ? "percentile" : "runtime %"}> <wss>`]
  const mean = average(dist)
  if (mean === undefined) return [...lines, "# no snapshot"].join("\n")
  lines.push(`# avr:\t${formatSize(mean)}`)
  if (!isExact(dist, sortBy)) {
    lines.push(
      sortBy === "size"
        ? `# sizes estimated within ${((dist.gamma - 1) / (dist.gamma + 1) * 100).toFixed(1)} % (${dist.count} snapshots)`
        : `# each value is the mean of ${dist.perBin} consecutive snapshots`
    )
  }
  const points = percentiles(dist, options.percentiles ?? [0, 25, 50, 75, 100], sortBy)
  const barColumns = options.barColumns ?? 59
  const max = Math.max(0, ...points.map((p) => p.wssBytes))
  for (const p of points) {
    let line = `${String(p.percentile).padStart(3)} ${formatSize(p.wssBytes).padStart(15)}`
    if (barColumns > 0) {
      const cols = max > 0 ? Math.floor((p.wssBytes / max) * barColumns) : 0
      line += ` |${"*".repeat(cols)}${" ".repeat(barColumns - cols)}|`
    }
    lines.push(line)
  }
  return lines.join("\n")
}
