/**
 * Request targets to admin-tree paths (file vs listing, traversal refused as ENOENT), and the
 * errno to HTTP status mapping.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { makeRng } from "../../src/core/Rng.ts"
import { type AdminTarget, parseAdminTarget } from "../../src/http/AdminPath.ts"
import { boundMessage, errorResponse, maxMessageChars, statusOfErrno } from "../../src/http/ErrnoStatus.ts"
import { busy, invalidArgument } from "../../src/model/DamonError.ts"

const ok = (target: string): AdminTarget => {
  const r = parseAdminTarget(target)
  if (r === undefined || Result.isFailure(r)) return assert.fail(`${target} should parse`)
  return r.success
}

const errnoOf = (target: string): string => {
  const r = parseAdminTarget(target)
  if (r === undefined || Result.isSuccess(r)) return assert.fail(`${target} should be refused`)
  return r.failure.errno
}

describe("AdminPath", () => {
  it("parseAdminTarget - files, listings (trailing slash), the root, query strings ignored", () => {
    assert.deepStrictEqual(ok("/admin/kdamonds/0/state"), { kind: "file", path: "kdamonds/0/state" })
    assert.deepStrictEqual(ok("/admin/kdamonds/0/"), { kind: "dir", path: "kdamonds/0" })
    assert.deepStrictEqual(ok("/admin/"), { kind: "dir", path: "" })
    assert.deepStrictEqual(ok("/admin"), { kind: "file", path: "" })
    assert.deepStrictEqual(ok("/admin/kdamonds/nr_kdamonds?x=1#f"), { kind: "file", path: "kdamonds/nr_kdamonds" })
    assert.deepStrictEqual(ok("/admin/kdamonds/?x=/../"), { kind: "dir", path: "kdamonds" })
    // percent-encoding of ordinary characters is decoded
    assert.deepStrictEqual(ok("/admin/kdamonds/nr%5Fkdamonds"), { kind: "file", path: "kdamonds/nr_kdamonds" })
  })

  it("parseAdminTarget - not under /admin is not ours", () => {
    assert.isUndefined(parseAdminTarget("/metrics"))
    assert.isUndefined(parseAdminTarget("/administrator/x"))
    assert.isUndefined(parseAdminTarget("/"))
  })

  it("parseAdminTarget - traversal, absolute paths and encoded separators are ENOENT", () => {
    for (const t of [
      "/admin/..",
      "/admin/../etc/passwd",
      "/admin/kdamonds/../../etc",
      "/admin/kdamonds/./0",
      "/admin/%2e%2e/etc",
      "/admin/kdamonds/%2E%2E/",
      "/admin/%2e",
      "/admin/kdamonds/..%2F..%2Fetc",
      "/admin/%2Fetc%2Fpasswd",
      "/admin//etc/passwd",
      "/admin/kdamonds//0",
      "/admin/kdamonds%5C..%5C..",
      "/admin/kdamonds/0%00",
      "/admin/kdamonds/%E0%A4%A"
    ]) assert.strictEqual(errnoOf(t), "ENOENT", t)
  })

  it("parseAdminTarget - whatever the input, an accepted path has no '.', '..' or empty segment (seeded)", () => {
    const alphabet = ["a", "0", "/", ".", "%2e", "%2E", "%2f", "%2F", "%5c", "%00", "%", "_", "..", "%25"]
    const rng = makeRng(11)
    for (let run = 0; run < 5000; run++) {
      let rest = ""
      const n = rng.rand(0, 12)
      for (let i = 0; i < n; i++) rest += alphabet[rng.rand(0, alphabet.length)]!
      const r = parseAdminTarget(`/admin/${rest}`)
      if (r === undefined) return assert.fail("always under /admin")
      if (Result.isFailure(r)) {
        assert.strictEqual(r.failure.errno, "ENOENT")
        continue
      }
      if (r.success.path === "") continue
      for (const s of r.success.path.split("/")) {
        const safe = s !== "" && s !== "." && s !== ".." && !s.includes("\\") && !s.includes("\0")
        assert.isTrue(safe, `${rest} -> ${r.success.path}`)
      }
    }
  })
})

describe("ErrnoStatus", () => {
  it("statusOfErrno - the documented mapping", () => {
    const table: ReadonlyArray<readonly [string, number]> = [
      ["EINVAL", 400],
      ["ERANGE", 400],
      ["EISDIR", 400],
      ["ENOTDIR", 400],
      ["EPERM", 403],
      ["EACCES", 403],
      ["ENOENT", 404],
      ["EBUSY", 409],
      ["ECANCELED", 409],
      ["EFBIG", 413],
      ["E2BIG", 413],
      ["ENOMEM", 507],
      ["EFAULT", 500],
      ["EIO", 500]
    ]
    for (const [errno, status] of table) assert.strictEqual(statusOfErrno(errno), status, errno)
  })

  it("errorResponse - the errno and the error's message (path and value)", () => {
    assert.deepStrictEqual(errorResponse(invalidArgument("kdamonds/0/state", "bogus", "unknown keyword")), {
      status: 400,
      body: { errno: "EINVAL", message: "kdamonds/0/state: \"bogus\" is invalid: unknown keyword" }
    })
    assert.deepStrictEqual(errorResponse(busy("kdamond 0 is already running")), {
      status: 409,
      body: { errno: "EBUSY", message: "busy: kdamond 0 is already running" }
    })
  })

  it("errorResponse - a message is cut to maxMessageChars, saying how much was left out", () => {
    // the error quotes at most 256 characters of the value and 1024 of the rule: together more
    // than the endpoint sends
    const huge = "1".repeat(1 << 20)
    const { body } = errorResponse(invalidArgument("kdamonds/nr_kdamonds", huge, `not a number ${"!".repeat(1 << 20)}`))
    assert.isAtMost(body.message.length, maxMessageChars + 50)
    assert.isTrue(body.message.startsWith("kdamonds/nr_kdamonds: \"111"))
    assert.match(body.message, /\.\.\. \(\d+ more characters\)$/)
    const short = errorResponse(busy("x")).body.message
    assert.strictEqual(boundMessage(short), short)
  })
})
