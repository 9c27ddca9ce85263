/**
 * The errors of the admin tree: `DamonError`s whose message names the file path and the value,
 * and whose `errno` is the one the kernel's sysfs returns. Pure; does not decide which error a
 * file operation gets (see `Tree.ts`).
 */
import {
  accessDenied,
  busy,
  canceled,
  type DamonError,
  invalidArgument,
  notFound,
  notRunning,
  outOfMemory,
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
export const toError = (path: string, value: string | undefined, f: Fault): DamonError => {
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
      return outOfRange(path, value ?? "(read)", f.rule)
    case "EISDIR":
      return wrongFileType(`${what}: ${f.rule}`, "file")
    case "ENOTDIR":
      return wrongFileType(`${what}: ${f.rule}`, "directory")
    case "ENOMEM":
      return outOfMemory(`${what}: ${f.rule}`)
    case "EINVAL":
      return invalidArgument(path, value ?? "(read)", f.rule)
  }
}
