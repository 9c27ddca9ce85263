/**
 * Which addresses the endpoint may listen on and which names a request may use to reach it. A
 * page in a browser can make the browser send requests to any address, under the page's own
 * host name (DNS rebinding: the page's name is made to resolve to 127.0.0.1), so the endpoint
 * answers only requests whose `Host` (and `Origin`, when sent) names it the way a local client
 * does: `localhost` or the bound address, with the bound port. Pure (WHATWG URL parsing only).
 */

/** An IPv4 or IPv6 address literal, canonical (`127.0.0.1`, `::1`), or `undefined`. */
export const ipLiteral = (text: string): string | undefined => {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text
  if (/^[0-9.]+$/.test(bare) && /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(bare)) {
    const parts = bare.split(".").map(Number)
    return parts.every((p) => p <= 255) ? parts.join(".") : undefined
  }
  if (!bare.includes(":") || !/^[0-9a-fA-F:.]+$/.test(bare)) return undefined
  try {
    const host = new URL(`http://[${bare}]/`).hostname
    return host.slice(1, -1)
  } catch {
    return undefined
  }
}

/** Whether an address literal is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z). */
export const isLoopback = (literal: string): boolean =>
  literal.startsWith("127.") || literal === "::1" || /^::ffff:7f[0-9a-f]{2}:/.test(literal) ||
  literal.startsWith("::ffff:127.")

/** Whether an address literal means "every address" (`0.0.0.0`, `::`). */
export const isWildcard = (literal: string): boolean => literal === "0.0.0.0" || literal === "::"

/** The names and port under which requests may reach the endpoint. */
export interface HostRules {
  readonly port: number
  /** Host names and canonical address literals accepted (lower case, IPv6 without brackets). */
  readonly names: ReadonlySet<string>
  /** Any address literal is accepted (a wildcard bind: the machine answers on all of them). */
  readonly anyAddress: boolean
}

/**
 * The rules for an endpoint bound to `host` (as given to listen) on `port` (the actual port).
 *
 * **Details**
 * `localhost` is always accepted; a bound literal is accepted as itself (`localhost` binds
 * accept both loopback literals); a wildcard bind accepts any address literal, because a
 * rebinding page can only use a DNS name (an address literal in `Host` is the page's own
 * origin, not ours); `extraNames` adds the DNS names of a remote bind.
 */
export const rulesFor = (host: string, port: number, extraNames: ReadonlyArray<string> = []): HostRules => {
  const names = new Set<string>(["localhost", ...extraNames.map((n) => n.toLowerCase())])
  const literal = ipLiteral(host)
  let anyAddress = false
  if (literal === undefined) {
    names.add(host.toLowerCase())
    if (host.toLowerCase() === "localhost") {
      names.add("127.0.0.1")
      names.add("::1")
    }
  } else if (isWildcard(literal)) {
    anyAddress = true
  } else {
    names.add(literal)
  }
  return { port, names, anyAddress }
}

/** An authority (`host[:port]`) split and canonicalised, or `undefined` if it is not one. */
const parseAuthority = (authority: string): { readonly host: string; readonly port: number } | undefined => {
  if (authority === "" || /[\s@/\\?#]/.test(authority)) return undefined
  let url: URL
  try {
    url = new URL(`http://${authority}/`)
  } catch {
    return undefined
  }
  const bare = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname
  return { host: bare, port: url.port === "" ? 80 : Number(url.port) }
}

const accepts = (rules: HostRules, host: string, port: number): boolean => {
  if (port !== rules.port) return false
  if (rules.names.has(host)) return true
  return rules.anyAddress && ipLiteral(host) !== undefined
}

/** Whether a `Host` header value names this endpoint. */
export const acceptsHost = (rules: HostRules, hostHeader: string): boolean => {
  const authority = parseAuthority(hostHeader.trim())
  return authority !== undefined && accepts(rules, authority.host, authority.port)
}

/** Whether an `Origin` header value is one of the endpoint's own origins (`http://<host>:<port>`). */
export const acceptsOrigin = (rules: HostRules, origin: string): boolean => {
  const m = /^http:\/\/([^/]+)$/i.exec(origin.trim())
  if (m === null) return false
  const authority = parseAuthority(m[1]!)
  return authority !== undefined && accepts(rules, authority.host, authority.port)
}
