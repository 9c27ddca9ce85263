/**
 * Loads the masim configurations shipped in `data/masim/` (copied from sjp38/masim `configs/`)
 * by name. This is the only effectful part of the simulator: it reads files synchronously with
 * `node:fs`; parsing is left to the pure `parseMasimConfig`.
 */
import { readFileSync } from "node:fs"
import * as Result from "effect/Result"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { type MasimConfig, parseMasimConfig } from "./MasimConfig.ts"

/** Names of the shipped configurations (`stairs` reads `stairs.cfg`; `default` reads `default`). */
export const masimConfigNames = [
  "100mb",
  "2mb",
  "default",
  "demo",
  "stairs",
  "stairs_30secs",
  "zigzag",
  "zigzag_30secs"
] as const

/** A shipped configuration name. */
export type MasimConfigName = (typeof masimConfigNames)[number]

const fileOf = (name: MasimConfigName): string => (name === "default" ? "default" : `${name}.cfg`)

/** The URL of the shipped configuration `name` inside the package. */
export const masimConfigUrl = (name: MasimConfigName): URL => new URL(`../../data/masim/${fileOf(name)}`, import.meta.url)

/**
 * Reads and parses a shipped configuration by name, failing with `InvalidArgument` for an
 * unknown name or a parse error.
 *
 * **Gotchas**
 * Reads a file synchronously (the only I/O of the simulator).
 */
export const loadMasimConfig = (name: string): Result.Result<MasimConfig, DamonError> => {
  const known = (masimConfigNames as ReadonlyArray<string>).includes(name)
  if (!known) return Result.fail(invalidArgument("masim", name, `must be one of ${masimConfigNames.join(", ")}`))
  const file = name as MasimConfigName
  return parseMasimConfig(readFileSync(masimConfigUrl(file), "utf8"), fileOf(file))
}

/**
 * Reads and parses a masim configuration file at `path`; an unreadable file is an
 * `InvalidArgument` naming the path.
 *
 * **Gotchas**
 * Reads a file synchronously.
 */
export const loadMasimConfigFile = (path: string): Result.Result<MasimConfig, DamonError> => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (cause) {
    return Result.fail(invalidArgument("masim", path, `cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`))
  }
  return parseMasimConfig(text, path)
}
