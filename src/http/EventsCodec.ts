/**
 * The wire format of the events endpoint (`GET /events/kdamonds/<K>`, `EventsRoute.ts`):
 * server-sent events, one per kdamond event, `event:` the kind (`started`, `aggregated`,
 * `stopped`), `id:` the kdamond's `seq`, `data:` one line of JSON. An aggregation's regions are
 * `[start, end, nrAccesses, age]` quadruples (compact: a snapshot can hold thousands). A gap in
 * `seq` means the server dropped events for a client that fell behind (the kdamond never waits).
 * Pure: encoding for the server, decoding for clients (the CLI's live `record`).
 */
import type { MonitorEvent, StopReason } from "../engine/Events.ts"

/** An `Aggregated` event as sent and received. */
export interface AggregatedData {
  readonly seq: number
  readonly atUs: number
  readonly nrAggregations: number
  readonly sampleIntervalUs: number
  readonly aggrIntervalUs: number
  readonly targets: ReadonlyArray<{
    readonly index: number
    readonly pid: number | null
    readonly regions: ReadonlyArray<readonly [number, number, number, number]>
  }>
}

/** What a client decodes from one server-sent event. */
export type WireEvent =
  | { readonly _tag: "Started"; readonly seq: number; readonly kdamond: number; readonly worldUs: number }
  | ({ readonly _tag: "Aggregated" } & AggregatedData)
  | { readonly _tag: "Stopped"; readonly seq: number; readonly atUs: number; readonly reason: string }

const reasonText = (r: StopReason): string =>
  r._tag === "OpsFailed" ? `OpsFailed: ${r.op}: ${r.message}` : r._tag === "Crashed" ? `Crashed: ${r.message}` : r._tag

/** The server-sent event of a kdamond event, or `undefined` for kinds the endpoint does not send. */
export const encodeEvent = (e: MonitorEvent): string | undefined => {
  switch (e._tag) {
    case "Started":
      return `event: started\nid: ${e.seq}\ndata: ${JSON.stringify({ seq: e.seq, kdamond: e.kdamond, worldUs: e.worldUs })}\n\n`
    case "Stopped":
      return `event: stopped\nid: ${e.seq}\ndata: ${JSON.stringify({ seq: e.seq, atUs: e.atUs, reason: reasonText(e.reason) })}\n\n`
    case "Aggregated": {
      let targets = ""
      for (let t = 0; t < e.targets.length; t++) {
        const x = e.targets[t]!
        let regions = ""
        for (let i = 0; i < x.regions.length; i++) {
          const r = x.regions[i]!
          regions += `${i === 0 ? "" : ","}[${r.start},${r.end},${r.nrAccesses},${r.age}]`
        }
        targets += `${t === 0 ? "" : ","}{"index":${x.index},"pid":${x.pid},"regions":[${regions}]}`
      }
      return `event: aggregated\nid: ${e.seq}\ndata: {"seq":${e.seq},"atUs":${e.atUs},"nrAggregations":${e.nrAggregations},` +
        `"sampleIntervalUs":${e.sampleIntervalUs},"aggrIntervalUs":${e.aggrIntervalUs},"targets":[${targets}]}\n\n`
    }
    default:
      return undefined
  }
}

/** One parsed server-sent event (the `event` and `data` fields). */
export interface SseMessage {
  readonly event: string
  readonly data: string
}

/**
 * An incremental parser of a `text/event-stream`: feed it text as it arrives, get the complete
 * messages (`event` defaults to `message`; multi-line `data` joined with newlines; comments and
 * other fields ignored), as the HTML specification's parsing rules say.
 */
export const makeSseParser = (): { readonly feed: (chunk: string) => Array<SseMessage> } => {
  let buffer = ""
  let event = ""
  let data: Array<string> = []
  return {
    feed: (chunk) => {
      buffer += chunk
      const out: Array<SseMessage> = []
      let nl: number
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1))
        if (line === "") {
          if (data.length > 0) out.push({ event: event === "" ? "message" : event, data: data.join("\n") })
          event = ""
          data = []
          continue
        }
        if (line.startsWith(":")) continue
        const colon = line.indexOf(":")
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "")
        if (field === "event") event = value
        else if (field === "data") data.push(value)
      }
      return out
    }
  }
}

/** The event a message carries, or a description of what is wrong with it. */
export const decodeMessage = (m: SseMessage): WireEvent | string => {
  let body: unknown
  try {
    body = JSON.parse(m.data)
  } catch {
    return `event ${m.event}: data is not JSON`
  }
  if (body === null || typeof body !== "object") return `event ${m.event}: data is not an object`
  const o = body as Record<string, unknown>
  const num = (k: string) => (typeof o[k] === "number" ? (o[k] as number) : Number.NaN)
  if (m.event === "started") return { _tag: "Started", seq: num("seq"), kdamond: num("kdamond"), worldUs: num("worldUs") }
  if (m.event === "stopped") return { _tag: "Stopped", seq: num("seq"), atUs: num("atUs"), reason: String(o["reason"]) }
  if (m.event !== "aggregated") return `unknown event ${m.event}`
  if (!Array.isArray(o["targets"]) || [num("seq"), num("atUs"), num("sampleIntervalUs"), num("aggrIntervalUs")].some(Number.isNaN)) {
    return "event aggregated: missing fields"
  }
  return { _tag: "Aggregated", ...(o as unknown as AggregatedData) }
}
