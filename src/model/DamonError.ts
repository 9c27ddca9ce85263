/**
 * The one public error of effect-damon: `DamonError`, carrying a tagged `reason` that mirrors
 * the kernel's errno (handle a reason with `Effect.catchReason("DamonError", "Busy", ...)`).
 */
import * as Data from "effect/Data"
import { describeThrown, MAX_VALUE_CHARS, renderValue, truncate } from "../internal/boundedText.ts"

/** Bad input (`-EINVAL`): names the field, the value and the rule it breaks. */
export class InvalidArgument extends Data.TaggedError("InvalidArgument")<{
  readonly field: string
  readonly value: string
  readonly rule: string
}> {
  override get message(): string {
    return `${this.field}: ${this.value} is invalid: ${this.rule}`
  }
}

/** The resource is taken (`-EBUSY`): a second walk, a second `on`, an exclusive user running. */
export class Busy extends Data.TaggedError("Busy")<{ readonly what: string }> {
  override get message(): string {
    return `busy: ${this.what}`
  }
}

/** The request was cancelled before completion (`-ECANCELED`), e.g. because kdamond stopped. */
export class Canceled extends Data.TaggedError("Canceled")<{ readonly why: string }> {
  override get message(): string {
    return `canceled: ${this.why}`
  }
}

/**
 * The kdamond is not running (`-EPERM`, what `damon_stop()` answers for a context that is not
 * running). Every request made after a kdamond stopped fails with it; the kernel's `damon_call()`
 * and `damos_walk()` answer `-ECANCELED` there (see docs/kernel-differences.md).
 */
export class NotRunning extends Data.TaggedError("NotRunning")<{ readonly what: string }> {
  override get message(): string {
    return `not running: ${this.what}`
  }
}

/** No such entry (`-ENOENT`), e.g. a path outside the admin tree. */
export class NotFound extends Data.TaggedError("NotFound")<{ readonly what: string }> {
  override get message(): string {
    return `not found: ${this.what}`
  }
}

/** Operation not permitted in this state (`-EPERM`). */
export class PermissionDenied extends Data.TaggedError("PermissionDenied")<{ readonly what: string }> {
  override get message(): string {
    return `not permitted: ${this.what}`
  }
}

/** A user function run inside kdamond (damonCall fn, damosWalk walkFn) threw (`-EFAULT`). */
export class CallbackFailed extends Data.TaggedError("CallbackFailed")<{
  readonly what: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `${this.what} threw: ${describe(this.cause)}`
  }
}

/** The operations set failed (`-EIO`); kdamond stops cleanly and reports this as its exit reason. */
export class OpsFailed extends Data.TaggedError("OpsFailed")<{
  readonly op: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `ops ${this.op} failed: ${describe(this.cause)}`
  }
}

/** A number that does not fit its field (`-ERANGE`), e.g. a sysfs write beyond `ULONG_MAX`. */
export class OutOfRange extends Data.TaggedError("OutOfRange")<{
  readonly field: string
  readonly value: string
  readonly rule: string
}> {
  override get message(): string {
    return `${this.field}: ${this.value} is out of range: ${this.rule}`
  }
}

/** Access to a file denied by its mode (`-EACCES`), e.g. writing a read-only sysfs file. */
export class AccessDenied extends Data.TaggedError("AccessDenied")<{ readonly what: string }> {
  override get message(): string {
    return `access denied: ${this.what}`
  }
}

/** A directory where a file was expected (`-EISDIR`), or a file where a directory was (`-ENOTDIR`). */
export class WrongFileType extends Data.TaggedError("WrongFileType")<{
  readonly what: string
  readonly expected: "file" | "directory"
}> {
  override get message(): string {
    return `${this.what}: not a ${this.expected}`
  }
}

/**
 * A request larger than the implementation accepts (`-ENOMEM`, what the kernel answers when it
 * cannot allocate what a request needs), e.g. millions of sysfs directories, or a config past one
 * of the library's limits (`docs/limits.md`).
 */
export class OutOfMemory extends Data.TaggedError("OutOfMemory")<{ readonly what: string }> {
  override get message(): string {
    return `out of memory: ${this.what}`
  }
}

/** Every reason a `DamonError` can carry. */
export type Reason =
  | InvalidArgument
  | Busy
  | Canceled
  | NotRunning
  | NotFound
  | PermissionDenied
  | CallbackFailed
  | OpsFailed
  | OutOfRange
  | AccessDenied
  | WrongFileType
  | OutOfMemory

/** The errno name each reason renders to (sysfs, HTTP). */
export const errnoOf: Record<Reason["_tag"], string> = {
  InvalidArgument: "EINVAL",
  Busy: "EBUSY",
  Canceled: "ECANCELED",
  NotRunning: "EPERM",
  NotFound: "ENOENT",
  PermissionDenied: "EPERM",
  CallbackFailed: "EFAULT",
  OpsFailed: "EIO",
  OutOfRange: "ERANGE",
  AccessDenied: "EACCES",
  WrongFileType: "EISDIR",
  OutOfMemory: "ENOMEM"
}

/** The public error: a reason plus its errno. */
export class DamonError extends Data.TaggedError("DamonError")<{ readonly reason: Reason }> {
  override get message(): string {
    return this.reason.message
  }
  /** The kernel errno name for this error (`EINVAL`, `EBUSY`, ...). */
  get errno(): string {
    const reason = this.reason
    return reason._tag === "WrongFileType" && reason.expected === "directory" ? "ENOTDIR" : errnoOf[reason._tag]
  }
}

const describe = describeThrown

/**
 * Shorthand constructors. Every text that can carry caller input (a field path with a caller's
 * key, a rule quoting a value, a `what`) is cut to a bounded length, so no input is echoed whole.
 */
export const invalidArgument = (field: string, value: unknown, rule: string): DamonError =>
  new DamonError({ reason: new InvalidArgument({ field: truncate(field), value: formatValue(value), rule: truncate(rule) }) })
/** Like {@link invalidArgument} for a value that is described rather than rendered (`(unreadable)`). */
export const invalidArgumentText = (field: string, valueText: string, rule: string): DamonError =>
  new DamonError({
    reason: new InvalidArgument({ field: truncate(field), value: truncate(valueText, MAX_VALUE_CHARS), rule: truncate(rule) })
  })
export const busy = (what: string): DamonError => new DamonError({ reason: new Busy({ what: truncate(what) }) })
export const canceled = (why: string): DamonError => new DamonError({ reason: new Canceled({ why: truncate(why) }) })
export const notRunning = (what: string): DamonError => new DamonError({ reason: new NotRunning({ what: truncate(what) }) })
export const notFound = (what: string): DamonError => new DamonError({ reason: new NotFound({ what: truncate(what) }) })
export const permissionDenied = (what: string): DamonError =>
  new DamonError({ reason: new PermissionDenied({ what: truncate(what) }) })
export const callbackFailed = (what: string, cause: unknown): DamonError =>
  new DamonError({ reason: new CallbackFailed({ what: truncate(what), cause }) })
export const opsFailed = (op: string, cause: unknown): DamonError =>
  new DamonError({ reason: new OpsFailed({ op: truncate(op), cause }) })

export const outOfRange = (field: string, value: unknown, rule: string): DamonError =>
  new DamonError({ reason: new OutOfRange({ field: truncate(field), value: formatValue(value), rule: truncate(rule) }) })
export const accessDenied = (what: string): DamonError => new DamonError({ reason: new AccessDenied({ what: truncate(what) }) })
export const wrongFileType = (what: string, expected: "file" | "directory"): DamonError =>
  new DamonError({ reason: new WrongFileType({ what: truncate(what), expected }) })
export const outOfMemory = (what: string): DamonError => new DamonError({ reason: new OutOfMemory({ what: truncate(what) }) })

/**
 * A library limit refused (`-ENOMEM`): names the field, the value and the limit, like
 * `targets: 5000 targets is past a limit: at most 4096 targets per context`.
 */
export const limitExceeded = (field: string, value: unknown, rule: string): DamonError =>
  outOfMemory(`${truncate(field)}: ${formatValue(value)} is past a limit: ${rule}`)

/**
 * Renders a value for an error message: strings quoted, everything else as JSON-like text, cut to
 * a few hundred characters (a 100 MB string is not echoed); never throws.
 */
export const formatValue = (value: unknown): string => renderValue(value)

/** True for a `DamonError`. */
export const isDamonError = (u: unknown): u is DamonError => u instanceof DamonError
