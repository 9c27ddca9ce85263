/**
 * `effect-damon/report`: reports of what DAMON saw, in bounded memory (the heatmap grid, the
 * working-set-size distribution), as text like damo's reports, and as pictures (Vega-Lite specs
 * rendered headless to SVG and PNG; the renderers load on first use).
 *
 * @since 0.2.0
 */

/** Snapshots of monitored regions (the shape of the kdamond's `Aggregated` event) and their rates. */
export * as Snapshot from "./Snapshot.ts"
/** The address axis of reports: monitored ranges laid end to end, gaps squeezed out. */
export * as AddressAxis from "./AddressAxis.ts"
/** The heatmap's data in bounded memory: snapshots folded into a fixed time x address grid. */
export * as HeatmapGrid from "./HeatmapGrid.ts"
/** The heatmap as text (digits 0-9, optional ANSI colour), like damo's `report heatmap`. */
export * as HeatmapText from "./HeatmapText.ts"
/** The working set size distribution in bounded memory (percentiles by size or by time). */
export * as WssDistribution from "./WssDistribution.ts"
/** The WSS percentiles as text, like damo's `report wss`. */
export * as WssText from "./WssText.ts"
/** Vega-Lite specs of the pictures: heatmap, WSS distribution, one snapshot's region boxes. */
export * as HeatmapSpec from "./HeatmapSpec.ts"
export * as WssSpec from "./WssSpec.ts"
export * as RegionsSpec from "./RegionsSpec.ts"
/** Headless rendering of the specs to SVG (vega) and PNG (resvg), loaded on first use. */
export * as Render from "./Render.ts"
/** Units for reports: sizes and durations as damo prints them. */
export * as Units from "./Units.ts"
