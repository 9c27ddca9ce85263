/**
 * The kinds of attribute files and numbered directories the DAMON admin tree is made of: the
 * kernel's `kobj_attribute` `show`/`store` pairs for `unsigned long`, `unsigned int`, `int`,
 * `bool`, keyword and path files, and the `nr_*` files with their numbered children
 * (`*_add_dirs()`). Pure and synchronous; which directory holds which file is `Tree.ts`.
 */
import * as Result from "effect/Result"
import { kstrtobool, kstrtoint, kstrtoul, kstrtouint, type ParseFailure, sysfsStreq } from "./Kstrtox.ts"
import { type Fault, fault } from "./SysfsError.ts"
import { addSize, MAX_NR_DIRS, replaceSize, type TreeSize, utf8Length, zeroSize } from "./TreeLimits.ts"
import { fresh, type ULRange } from "./TreeState.ts"

/** File permission bits: 0600 (read-write) or 0400 (read-only), as the kernel's `__ATTR_*_MODE`. */
export type Mode = 0o600 | 0o400

/** Files the `Sysfs` service handles itself (they need the kdamonds or a post-write action). */
export type FileRole = "state" | "pid" | "nr_kdamonds" | "refresh_ms"

/**
 * The second half of a `store`: run after the text parsed. `locked` stores try-take the global
 * sysfs lock around `run` (the kernel's `mutex_trylock(&damon_sysfs_lock)`, `-EBUSY` if held).
 * `growth` is what `run` would add to the tree's totals (`TreeLimits.ts`), for the stores that
 * can grow it (`nr_*` files, path files), computed without allocating anything.
 */
export interface Apply {
  readonly locked: boolean
  readonly run: () => Fault | undefined
  readonly growth: (() => TreeSize) | undefined
}

/** An attribute file. */
export interface FileNode {
  readonly kind: "file"
  readonly mode: Mode
  /** `show` try-takes the sysfs lock (`memcg_path`, goal `path`, `state`, `pid`). */
  readonly showLocked: boolean
  readonly show: () => Result.Result<string, Fault>
  /** Parses written text without side effects; `undefined` for read-only files. */
  readonly store: ((buf: string) => Result.Result<Apply, Fault>) | undefined
  readonly role: FileRole | undefined
}

/**
 * A directory: its entries in the kernel's creation order (attribute files, then subdirectories);
 * `child` finds one entry without building the others (numbered directories have thousands).
 */
export interface DirNode {
  readonly kind: "dir"
  readonly entries: () => ReadonlyArray<readonly [string, Node]>
  readonly child: ((name: string) => Node | undefined) | undefined
}

/** A node of the tree. */
export type Node = FileNode | DirNode

// --- File builders ----------------------------------------------------------------------

/** A `sysfs_emit(buf, "...\n", v)` show. */
export const line = (v: bigint | number | string): Result.Result<string, Fault> => Result.succeed(`${v}\n`)
/** A boolean show (`Y`/`N`). */
const yn = (b: boolean): Result.Result<string, Fault> => Result.succeed(b ? "Y\n" : "N\n")

/** A read-only (0400) file. */
export const ro = (show: () => Result.Result<string, Fault>, role?: FileRole): FileNode => ({
  kind: "file",
  mode: 0o400,
  showLocked: role === "pid",
  show,
  store: undefined,
  role
})

/** A read-write (0600) file: `parse` is pure, `set` runs only once the store is applied. */
export const rw = <V>(
  show: () => Result.Result<string, Fault>,
  parse: (buf: string) => Result.Result<V, Fault>,
  set: (v: V) => Fault | undefined,
  options: {
    readonly locked?: boolean
    readonly showLocked?: boolean
    readonly role?: FileRole
    readonly growth?: (v: V) => TreeSize
  } = {}
): FileNode => ({
  kind: "file",
  mode: 0o600,
  showLocked: options.showLocked === true,
  show,
  store: (buf) =>
    Result.map(parse(buf), (v): Apply => {
      const growth = options.growth
      return { locked: options.locked === true, run: () => set(v), growth: growth && (() => growth(v)) }
    }),
  role: options.role
})

/** A parse failure as the store's fault; `flattenToEinval` for stores that return `-EINVAL` for any parse error. */
export const fromParse = <A>(r: Result.Result<A, ParseFailure>, flattenToEinval: boolean): Result.Result<A, Fault> =>
  Result.mapError(r, (f) => fault(flattenToEinval ? "EINVAL" : f.errno, f.rule))

/** An `unsigned long` file (`kstrtoul`); `flatten`: the store maps every parse error to `EINVAL`. */
export const ulong = (get: () => bigint, set: (v: bigint) => void, flatten = false): FileNode =>
  rw(() => line(get()), (b) => fromParse(kstrtoul(b), flatten), (v) => void set(v))

/** An `unsigned int` file (`kstrtouint`). */
export const uint = (get: () => number, set: (v: number) => void): FileNode =>
  rw(() => line(get()), (b) => fromParse(kstrtouint(b), false), (v) => void set(v))

/** An `int` file (`kstrtoint`). */
export const int = (get: () => number, set: (v: number) => void, flatten = false): FileNode =>
  rw(() => line(get()), (b) => fromParse(kstrtoint(b), flatten), (v) => void set(v))

/** A `bool` file (`kstrtobool`, shown as `Y`/`N`). */
export const bool = (get: () => boolean, set: (v: boolean) => void): FileNode =>
  rw(() => yn(get()), (b) => fromParse(kstrtobool(b), false), (v) => void set(v))

/** A keyword file: the input must equal one of `names` (`sysfs_streq`), else `EINVAL`. */
export const choice = <A extends string>(
  names: ReadonlyArray<A>,
  get: () => A,
  set: (v: A) => void,
  admit: (v: A) => boolean = () => true
): FileNode =>
  rw(
    () => line(get()),
    (buf) => {
      const v = names.find((n) => sysfsStreq(buf, n))
      if (v === undefined) return Result.fail(fault("EINVAL", `must be one of ${names.join(", ")}`))
      return admit(v) ? Result.succeed(v) : Result.fail(fault("EINVAL", `${v} is not allowed in this directory`))
    },
    (v) => void set(v)
  )

/**
 * A memcg path file: stores the raw text (newline included, as `strscpy()` copies it) under the
 * sysfs lock and shows it followed by a newline, also under the lock.
 */
export const pathFile = (get: () => string | null, set: (v: string) => void): FileNode =>
  rw(() => line(get() ?? ""), (buf) => Result.succeed(cut(buf)), (v) => void set(v), {
    locked: true,
    showLocked: true,
    growth: (v) => ({ ...zeroSize, pathBytes: utf8Length(v) - utf8Length(get() ?? "") })
  })

const cut = (s: string): string => {
  const nul = s.indexOf("\0")
  return nul < 0 ? s : s.slice(0, nul)
}

/**
 * An `nr_*` file: `kstrtoint`, negative (or above `max`) is `EINVAL`, then under the sysfs lock
 * the numbered directories are destroyed and `n` fresh ones created.
 *
 * **Details**
 * Mirrors the `nr_*_store()` functions: parse errors and the range check come before the
 * try-lock, so a malformed count is `EINVAL` even while the lock is held.
 */
const nrFile = (
  get: () => number,
  set: (n: number) => void,
  growth: (n: number) => TreeSize,
  options: { readonly max?: number; readonly role?: FileRole } = {}
): FileNode =>
  rw(
    () => line(get()),
    (buf) => {
      const n = fromParse(kstrtoint(buf), false)
      if (Result.isFailure(n)) return n
      if (n.success < 0) return Result.fail(fault("EINVAL", "must be >= 0"))
      if (options.max !== undefined && n.success > options.max) {
        const rule = `must be <= ${options.max} (only ${options.max} context per kdamond is supported)`
        return Result.fail(fault("EINVAL", rule))
      }
      if (n.success > MAX_NR_DIRS) return Result.fail(fault("ENOMEM", `more than ${MAX_NR_DIRS} directories`))
      return Result.succeed(n.success)
    },
    (n) => void set(n),
    { locked: true, growth, ...(options.role === undefined ? {} : { role: options.role }) }
  )

export const dir = (entries: () => ReadonlyArray<readonly [string, Node]>): DirNode => ({
  kind: "dir",
  entries,
  child: undefined
})

/** A directory index as the kernel names it (`%d`): no sign, no leading zero. */
const indexOf = (name: string): number | undefined => (/^(0|[1-9]\d{0,8})$/.test(name) ? Number(name) : undefined)

/**
 * A directory with an `nr_*` file and numbered children `0..n-1`; `sizeOf` tells what one child
 * costs against the tree's limits, so a rewrite is checked before it allocates.
 */
export const numbered = <A>(
  nrName: string,
  items: () => Array<A>,
  replace: (xs: Array<A>) => void,
  make: () => A,
  view: (a: A) => DirNode,
  sizeOf: (a: A) => TreeSize,
  options: { readonly max?: number; readonly role?: FileRole } = {}
): DirNode => {
  const nr = (): FileNode =>
    nrFile(
      () => items().length,
      (n) => replace(fresh(n, make)),
      (n) => {
        let old = zeroSize
        for (const a of items()) old = addSize(old, sizeOf(a))
        return replaceSize(n, sizeOf(make()), old)
      },
      options
    )
  return {
    kind: "dir",
    entries: () => [[nrName, nr()], ...items().map((a, i) => [String(i), view(a)] as const)],
    child: (name) => {
      if (name === nrName) return nr()
      const i = indexOf(name)
      const a = i === undefined ? undefined : items()[i]
      return a === undefined ? undefined : view(a)
    }
  }
}

export const rangeDir = (r: ULRange): DirNode =>
  dir(() => [
    ["min", ulong(() => r.min, (v) => void (r.min = v))],
    ["max", ulong(() => r.max, (v) => void (r.max = v))]
  ])
