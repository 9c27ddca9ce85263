/**
 * The messages between an HTTP worker thread (`HttpWorker`) and the thread that owns the admin
 * tree (`WorkerEndpoint`). Plain data, copied by `postMessage`. Pure.
 */
import type { AdminFault } from "./AdminBackend.ts"
import type { EndpointConfig } from "./EndpointConfig.ts"

/** What the worker is started with (`workerData`). */
export interface WorkerStart {
  readonly config: EndpointConfig
}

/** An admin operation the worker asks for; `id` pairs it with its {@link Reply}. */
export type Request =
  | { readonly id: number; readonly op: "read" | "list"; readonly path: string }
  | { readonly id: number; readonly op: "write"; readonly path: string; readonly text: string }
  | { readonly id: number; readonly op: "metrics" }
  | { readonly id: number; readonly op: "events"; readonly index: number }

/** The outcome of a {@link Request}. */
export type Reply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly fault: AdminFault }

/** What else the worker reports. */
export type WorkerEvent =
  | { readonly kind: "listening"; readonly url: string }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "closed" }
  /** The client of events subscription `id` went away: stop forwarding. */
  | { readonly kind: "cancel"; readonly id: number }

/** What else the owner tells the worker. */
export type Command =
  | { readonly kind: "shutdown" }
  /** One event (server-sent-event text) of subscription `id`, after its ok {@link Reply}. */
  | { readonly kind: "event"; readonly id: number; readonly text: string }
  /** Subscription `id` ended (the kdamond stopped). */
  | { readonly kind: "end"; readonly id: number }

/** Everything the worker posts. */
export type FromWorker = Request | WorkerEvent

/** Everything the owner posts. */
export type ToWorker = Reply | Command

/** Whether a message from the worker is a {@link Request}. */
export const isRequest = (m: FromWorker): m is Request => "op" in m

/** Whether a message to the worker is a {@link Reply}. */
export const isReply = (m: ToWorker): m is Reply => "ok" in m
