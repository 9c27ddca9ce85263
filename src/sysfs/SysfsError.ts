/**
 * The errors of the admin tree: `DamonError`s whose message names the file path and the value,
 * and whose `errno` is the one the kernel's sysfs returns. Messages are bounded: a long path or
 * value is cut to an excerpt that says how much was left out. Pure; does not decide which error
 * a file operation gets (see `Tree.ts`).
 */
import {
  accessDenied,
  busy,
  canceled,
  DamonError,
  InvalidArgument,
  invalidArgument,
  notFound,
  notRunning,
  outOfMemory,
  OutOfRange,
  outOfRange,
  wrongFileType
} from "../model/DamonError.ts"

/** Every errno a file operation of the admin tree can fail with. */
export type KernelErrno =
  | "EINVAL"
  | "ERANGE"
  | "EBUSY"
  | "EPERM"
  | "EACCES"
  | "ENOENT"
  | "EISDIR"
  | "ENOTDIR"
  | "ENOMEM"
  | "ECANCELED"

/** A failure of one file operation before it is tied to a path: the errno and the rule broken. */
export interface Fault {
  readonly errno: KernelErrno
  readonly rule: string
}

/** Shorthand for a {@link Fault}. */
export const fault = (errno: KernelErrno, rule: string): Fault => ({ errno, rule })

/**
 * Turns a fault of the file at `path`, caused by writing `value` (or reading, when `value` is
 * `undefined`), into the typed error whose reason mirrors the errno (`EINVAL` InvalidArgument,
 * `ERANGE` OutOfRange, `EBUSY` Busy, `EPERM` NotRunning, `EACCES` AccessDenied, `ENOENT`
 * NotFound, `EISDIR`/`ENOTDIR` WrongFileType, `ENOMEM` OutOfMemory, `ECANCELED` Canceled).
 */
export const toError = (fullPath: string, fullValue: string | undefined, f: Fault): DamonError => {
  const path = excerpt(fullPath)
  const value = fullValue === undefined ? undefined : excerpt(fullValue)
  const what = value === undefined ? path : `${path} (writing ${JSON.stringify(value)})`
  switch (f.errno) {
    case "EBUSY":
      return busy(`${what}: ${f.rule}`)
    case "EPERM":
      return notRunning(`${what}: ${f.rule}`)
    case "EACCES":
      return accessDenied(`${what}: ${f.rule}`)
    case "ENOENT":
      return notFound(`${what}: ${f.rule}`)
    case "ECANCELED":
      return canceled(`${what}: ${f.rule}`)
    case "ERANGE":
      return outOfRange(path, fullValue ?? "(read)", f.rule)
    case "EISDIR":
      return wrongFileType(`${what}: ${f.rule}`, "file")
    case "ENOTDIR":
      return wrongFileType(`${what}: ${f.rule}`, "directory")
    case "ENOMEM":
      return outOfMemory(`${what}: ${f.rule}`)
    case "EINVAL":
      return invalidArgument(path, fullValue ?? "(read)", f.rule)
  }
}

/** Longest path or value an error message quotes, in UTF-16 code units. */
export const MAX_QUOTED = 256

/** `s`, or its first {@link MAX_QUOTED} code units and how many more there were. */
export const excerpt = (s: string): string =>
  s.length <= MAX_QUOTED ? s : `${s.slice(0, MAX_QUOTED)}... (${s.length - MAX_QUOTED} more characters)`

/**
 * Longest field, rendered value or rule an error may carry before {@link boundError} cuts it: an
 * excerpt of {@link MAX_QUOTED} characters renders to at most six times as many (`\u0000`).
 */
const MAX_RENDERED = 8 * MAX_QUOTED

/**
 * `e` with the field, value and rule it quotes cut to excerpts when longer than
 * {@link MAX_RENDERED} (errors built outside this module, such as a config build naming a memcg
 * path, quote what they were given).
 */
export const boundError = (e: DamonError): DamonError => {
  const r = e.reason
  if (!(r instanceof InvalidArgument || r instanceof OutOfRange)) return e
  const cut = (s: string): string => (s.length <= MAX_RENDERED ? s : excerpt(s))
  if (r.field.length <= MAX_RENDERED && r.value.length <= MAX_RENDERED && r.rule.length <= MAX_RENDERED) return e
  const bounded = { field: cut(r.field), value: cut(r.value), rule: cut(r.rule) }
  return new DamonError({ reason: r instanceof InvalidArgument ? new InvalidArgument(bounded) : new OutOfRange(bounded) })
}
