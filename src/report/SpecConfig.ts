/**
 * Settings shared by every picture's Vega-Lite spec: a white background (the PNG has no
 * transparency surprises on dark viewers), a fixed font family list that resvg finds on a
 * typical Linux machine and a browser maps to its sans-serif, and the address-axis helpers.
 */
import type { TopLevelSpec } from "vega-lite"
import type { AddressAxis } from "./AddressAxis.ts"
import { formatAddress } from "./Units.ts"

/** The font list the pictures ask for (first found wins, in resvg as in a browser). */
export const fontFamily = "DejaVu Sans, Arial, Helvetica, sans-serif"

/** Vega-Lite `config` of every picture. */
export const baseConfig: NonNullable<TopLevelSpec["config"]> = {
  background: "white",
  font: fontFamily,
  view: { stroke: "#888888" },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: "#555555" }
}

/** The subtitle line describing a squeezed axis: how many ranges and where they lie. */
export const rangesSubtitle = (axis: AddressAxis): string => {
  const first = axis.spans[0]
  const last = axis.spans[axis.spans.length - 1]
  if (first === undefined || last === undefined) return "nothing monitored"
  const where = `${formatAddress(first.start)} .. ${formatAddress(last.end)}`
  return axis.spans.length === 1 ? `one range ${where}` : `${axis.spans.length} ranges in ${where}, gaps squeezed out (dashed lines)`
}

/** Rounds to `digits` decimals for compact JSON (values are plotted, not computed with). */
export const round = (value: number, digits: number): number => {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
