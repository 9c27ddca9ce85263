/**
 * The Prometheus text exposition format (version 0.0.4): metric families with `# HELP` and
 * `# TYPE` lines, samples with escaped label values, histograms as cumulative `_bucket{le=...}`
 * series plus `_sum` and `_count`. No kernel counterpart (DAMON exports nothing like it); formats
 * what it is given and does not collect anything (see `DamonMetrics.ts`). Pure.
 */

/** The metric types this formatter writes. */
export type MetricType = "counter" | "gauge" | "histogram"

/** Label name/value pairs, in the order they are printed. */
export type Labels = ReadonlyArray<readonly [name: string, value: string]>

/** One sample line: `<family name><suffix>{labels} value`. */
export interface Sample {
  /** Appended to the family name (`_bucket`, `_sum`, `_count` for histograms); none by default. */
  readonly suffix?: string
  readonly labels: Labels
  readonly value: number
}

/** A metric family: one `HELP`, one `TYPE`, its samples (printed together, as the format requires). */
export interface MetricFamily {
  readonly name: string
  readonly help: string
  readonly type: MetricType
  readonly samples: ReadonlyArray<Sample>
}

/** The `Content-Type` of the text format. */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

/** Escapes a label value: backslash, double quote and line feed (`\\`, `\"`, `\n`). */
export const escapeLabelValue = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")

/** Escapes `HELP` text: backslash and line feed. */
export const escapeHelp = (text: string): string => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

/** A sample value as Prometheus parses it: `+Inf`, `-Inf`, `NaN`, or the shortest decimal. */
export const formatValue = (value: number): string => {
  if (Number.isNaN(value)) return "NaN"
  if (value === Number.POSITIVE_INFINITY) return "+Inf"
  if (value === Number.NEGATIVE_INFINITY) return "-Inf"
  return String(value)
}

const formatLabels = (labels: Labels): string =>
  labels.length === 0 ? "" : `{${labels.map(([n, v]) => `${n}="${escapeLabelValue(v)}"`).join(",")}}`

/**
 * Renders families in the given order; a family without samples is left out entirely, so a
 * scrape never shows a `TYPE` line with nothing under it. The text ends with a line feed.
 */
export const format = (families: ReadonlyArray<MetricFamily>): string => {
  const lines: Array<string> = []
  for (const f of families) {
    if (f.samples.length === 0) continue
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`)
    lines.push(`# TYPE ${f.name} ${f.type}`)
    for (const s of f.samples) lines.push(`${f.name}${s.suffix ?? ""}${formatLabels(s.labels)} ${formatValue(s.value)}`)
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`
}

/**
 * The samples of one histogram series from per-bucket (non-cumulative) counts: a cumulative
 * `_bucket` per upper bound (`le` last, `+Inf` for the last bound), then `_sum` and `_count`.
 *
 * **Details**
 * `bounds` and `counts` have the same length and the last bound should be `Infinity`; if it is
 * not, a `+Inf` bucket equal to the total is added, as the format requires one.
 */
export const histogramSamples = (
  labels: Labels,
  bounds: ReadonlyArray<number>,
  counts: ReadonlyArray<number>,
  sum: number
): Array<Sample> => {
  const out: Array<Sample> = []
  let cumulative = 0
  for (let i = 0; i < bounds.length; i++) {
    cumulative += counts[i] ?? 0
    out.push({ suffix: "_bucket", labels: [...labels, ["le", formatValue(bounds[i]!)]], value: cumulative })
  }
  if (bounds.length === 0 || bounds[bounds.length - 1] !== Number.POSITIVE_INFINITY) {
    out.push({ suffix: "_bucket", labels: [...labels, ["le", "+Inf"]], value: cumulative })
  }
  out.push({ suffix: "_sum", labels, value: sum })
  out.push({ suffix: "_count", labels, value: cumulative })
  return out
}
