/**
 * The checks every request passes before it reaches the admin tree, so that a web page cannot
 * drive the endpoint through the user's browser and, when a token is configured, other local
 * users cannot either. In order:
 *
 * 1. `Host` must name the endpoint (`HostRules`): `403`. Defeats DNS rebinding.
 * 2. `Origin`, when sent, must be the endpoint's own origin (`null` included): `403`. Browsers
 *    send it with every cross-origin `fetch` and every `PUT`.
 * 3. `Sec-Fetch-Site`, when sent, must be `same-origin` or `none` (typed in the address bar):
 *    `403`. Covers the no-cors `GET`s that carry no `Origin`.
 * 4. With a token: `Authorization: Bearer <token>`, or `401` with `WWW-Authenticate`.
 * 5. `OPTIONS` (a CORS preflight) is `405`; no answer ever carries `Access-Control-*` headers,
 *    so a browser never lets a foreign page read or write.
 *
 * Pure: the token comparison is injected (the shell compares in constant time).
 */
import type { HostRules } from "./HostRules.ts"
import { acceptsHost, acceptsOrigin } from "./HostRules.ts"

/** What the guard needs to know of a request. */
export interface GuardedRequest {
  readonly method: string
  /** Header values by lower-case name. */
  readonly headers: Readonly<Record<string, string | undefined>>
}

/** How the guard is configured. */
export interface GuardConfig {
  readonly hosts: HostRules
  /** Compares a presented bearer token with the configured one; `undefined`: no token needed. */
  readonly tokenMatches: ((presented: string) => boolean) | undefined
}

/** A refused request: the status, the `{ errno, message }` body and extra headers. */
export interface Refusal {
  readonly status: number
  readonly errno: string
  readonly message: string
  readonly headers: Readonly<Record<string, string>>
}

const refuse = (status: number, errno: string, message: string, headers: Record<string, string> = {}): Refusal => ({
  status,
  errno,
  message,
  headers
})

/** Header values echoed in refusals are cut to this many characters. */
const shownChars = 100

const show = (value: string): string =>
  JSON.stringify(value.length > shownChars ? `${value.slice(0, shownChars)}...` : value)

/** The refusal for a request, or `undefined` when it may proceed. */
export const check = (request: GuardedRequest, config: GuardConfig): Refusal | undefined => {
  const { headers } = request
  const host = headers["host"]
  if (host === undefined) return refuse(400, "EINVAL", "Host header required")
  if (!acceptsHost(config.hosts, host)) {
    return refuse(
      403,
      "EACCES",
      `Host ${show(host)} does not name this endpoint (use localhost or the bound address, port ${config.hosts.port})`
    )
  }
  const origin = headers["origin"]
  if (origin !== undefined && !acceptsOrigin(config.hosts, origin)) {
    return refuse(403, "EACCES", `cross-origin requests are refused (Origin ${show(origin)})`)
  }
  const site = headers["sec-fetch-site"]
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    return refuse(403, "EACCES", `requests from other sites are refused (Sec-Fetch-Site ${show(site)})`)
  }
  if (config.tokenMatches !== undefined) {
    const presented = bearerToken(headers["authorization"])
    if (presented === undefined || !config.tokenMatches(presented)) {
      return refuse(
        401,
        "EACCES",
        presented === undefined ? "a bearer token is required" : "the bearer token does not match",
        { "www-authenticate": "Bearer realm=\"effect-damon\"" }
      )
    }
  }
  if (request.method === "OPTIONS") {
    return refuse(405, "EOPNOTSUPP", "OPTIONS is not supported (no CORS)", { allow: "GET, PUT" })
  }
  return undefined
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive). */
export const bearerToken = (authorization: string | undefined): string | undefined => {
  if (authorization === undefined) return undefined
  const m = /^bearer +(\S+) *$/i.exec(authorization)
  return m === null ? undefined : m[1]
}
