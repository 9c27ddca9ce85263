/**
 * damo's `json_compressed` record files (zlib-compressed JSON list of records, damo's default
 * `record` output) and its plain `json` record files, read and written with `node:zlib` streams.
 *
 * Writing is incremental: {@link openRecordWriter} appends each snapshot as it comes to a
 * compressed spool file per record (the JSON needs each record's snapshots together, while a
 * recording produces them interleaved across targets), and builds the final file from the
 * spools when it finishes or when its scope closes, whichever comes first: a recording stopped
 * early (Ctrl-C interrupts the recorder, the scope closes) still leaves a valid file of what was
 * recorded. Memory stays bounded by stream buffers whatever the length of the recording; the
 * file appears atomically (written beside, then renamed). Reading loads one file whole.
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import { createReadStream, createWriteStream, type WriteStream } from "node:fs"
import { mkdtemp, readFile, rename, rm } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import type { Writable } from "node:stream"
import { finished } from "node:stream/promises"
import { createDeflate, createInflate, inflate } from "node:zlib"
import { accessDenied, type DamonError, invalidArgument, notFound } from "../model/DamonError.ts"
import { type DamonRecord, decodeRecords, type RecordHeader, recordJsonHead, type RecordSnapshot, snapshotJson } from "./Record.ts"

/** Maps a file-system failure to the error of its errno, naming the file. */
const ioError = (path: string, doing: string) => (e: unknown): DamonError => {
  const code = typeof e === "object" && e !== null && "code" in e ? String(e.code) : ""
  const message = e instanceof Error ? e.message : String(e)
  if (code === "ENOENT") return notFound(`${path} (${doing})`)
  if (code === "EACCES" || code === "EPERM") return accessDenied(`${path} (${doing})`)
  return invalidArgument(path, code === "" ? doing : code, `cannot be ${doing}: ${message}`)
}

const io = <A>(path: string, doing: string, f: () => Promise<A>): Effect.Effect<A, DamonError> =>
  Effect.tryPromise({ try: f, catch: ioError(path, doing) })

/** The first bytes of a zlib stream (`0x78` then a check byte), as `file(1)` tells them apart. */
const isZlib = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x78 && ((b[0]! << 8) | b[1]!) % 31 === 0

/**
 * Reads a damo record file: `json_compressed` (zlib) or plain `json`; a bad file is an
 * `InvalidArgument` naming the file and what is wrong (not zlib nor JSON, truncated, or the
 * first bad value by its path in the records).
 */
export const readRecordFile = (path: string): Effect.Effect<Array<DamonRecord>, DamonError> =>
  Effect.gen(function*() {
    const bytes = yield* io(path, "read", () => readFile(path))
    let text: string
    if (isZlib(bytes)) {
      text = yield* Effect.tryPromise({
        try: () => new Promise<Buffer>((resolve, reject) => inflate(bytes, (e, out) => (e === null ? resolve(out) : reject(e)))),
        catch: (e) => invalidArgument(path, `${bytes.length} bytes`, `is damaged zlib data (json_compressed): ${e instanceof Error ? e.message : String(e)}`)
      }).pipe(Effect.map((b) => b.toString("utf8")))
    } else {
      text = bytes.toString("utf8")
      const first = text.trimStart()[0]
      if (first !== "[" && first !== "{") {
        return yield* Effect.fail(invalidArgument(path, `${bytes.length} bytes`, "is neither a json_compressed record file (zlib) nor a json record file"))
      }
    }
    const records = decodeRecords(text)
    if (Result.isFailure(records)) {
      const r = records.failure.reason
      return yield* Effect.fail(r._tag === "InvalidArgument" ? invalidArgument(`${path}: ${r.field}`, r.value, r.rule) : records.failure)
    }
    return records.success
  })

/**
 * How much a stream may hold before a writer waits for it: enough for compression (on libuv's
 * thread pool) to overlap with building the next snapshot's JSON, small enough to bound memory.
 */
const BUFFERED_BYTES = 2 ** 20

/**
 * Writes `chunk`; when the stream asks for a pause and holds more than {@link BUFFERED_BYTES},
 * waits for it to drain.
 */
const writeChunk = (s: Writable, chunk: string): Promise<void> => {
  if (s.write(chunk) || s.writableLength <= BUFFERED_BYTES) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const done = (e?: unknown) => {
      s.off("drain", done)
      s.off("error", done)
      if (e === undefined) resolve()
      else reject(e)
    }
    s.once("drain", done)
    s.once("error", done)
  })
}

/** Where one record's snapshots go: the output itself (the first record) or a spool file. */
interface Sink {
  readonly header: RecordHeader
  /** The stream snapshots are written to (a deflate or the file itself). */
  readonly stream: Writable
  /** The file behind `stream`. */
  readonly file: WriteStream
  /** The spool's path; `undefined` for the record written straight into the output. */
  readonly spool: string | undefined
  count: number
}

/** Options of {@link openRecordWriter} and {@link writeRecordFile}. */
export interface RecordWriteOptions {
  /** `json_compressed` (zlib, the default) or plain `json`. */
  readonly compressed?: boolean
  /** zlib level, 1 (fastest, the default: recording speed matters) to 9 (smallest; damo uses 6). */
  readonly level?: number
}

/** An incremental writer of one record file. */
export interface RecordWriter {
  /** Adds a record (its snapshots follow through {@link RecordWriter.append}); returns its index. */
  readonly addRecord: (header: RecordHeader) => Effect.Effect<number, DamonError>
  /** Appends a snapshot to record `index`; snapshots keep the order they are appended in. */
  readonly append: (index: number, snapshot: RecordSnapshot) => Effect.Effect<void, DamonError>
  /** Builds the file from what was appended; later calls, and the scope's end, do nothing. */
  readonly finish: Effect.Effect<void, DamonError>
}

/**
 * Opens a writer of a record file at `path`; the file is built by `finish` or, at the latest,
 * when the scope closes (also on interruption), so what was appended is never lost.
 *
 * **Details**
 * The first record's snapshots stream straight into the output (compressed once); every later
 * record's go to its own zlib spool (level 1), copied into the output after the first record
 * when the file is built. The output is written in the spool directory, then renamed to `path`.
 */
export const openRecordWriter = (path: string, options: RecordWriteOptions = {}): Effect.Effect<RecordWriter, DamonError, Scope.Scope> =>
  Effect.gen(function*() {
    const compressed = options.compressed !== false
    const spoolDir = yield* io(path, "written", () => mkdtemp(join(dirname(path), `.${basename(path)}.spool-`)))
    const tmp = join(spoolDir, "out")
    const sinks: Array<Sink> = []
    let state: "open" | "finishing" | "done" = "open"
    let failure: unknown = undefined
    const onError = (e: unknown) => void (failure ??= e)
    const open = (file: string, level: number | undefined): { readonly stream: Writable; readonly file: WriteStream } => {
      const f = createWriteStream(file)
      f.on("error", onError)
      if (level === undefined) return { stream: f, file: f }
      const z = createDeflate({ level })
      z.on("error", onError)
      z.pipe(f)
      return { stream: z, file: f }
    }
    const out = open(tmp, compressed ? (options.level ?? 1) : undefined)
    let started = false

    const build = async (): Promise<void> => {
      if (!started) await writeChunk(out.stream, "[")
      for (let i = 0; i < sinks.length; i++) {
        const s = sinks[i]!
        if (s.spool !== undefined) {
          s.stream.end()
          await finished(s.file)
          await writeChunk(out.stream, `,${recordJsonHead(s.header)}`)
          const spooled = compressed ? createReadStream(s.spool).pipe(createInflate()) : createReadStream(s.spool)
          for await (const chunk of spooled) await writeChunk(out.stream, (chunk as Buffer).toString("utf8"))
        }
        await writeChunk(out.stream, "]}")
      }
      await writeChunk(out.stream, "]")
      out.stream.end()
      await finished(out.file)
      await rename(tmp, path)
      await rm(spoolDir, { recursive: true, force: true })
    }

    const finish: Effect.Effect<void, DamonError> = Effect.suspend(() => {
      if (state !== "open") return Effect.void
      state = "finishing"
      if (failure !== undefined) return Effect.fail(ioError(path, "written")(failure))
      return io(path, "written", build).pipe(Effect.ensuring(Effect.sync(() => void (state = "done"))), Effect.uninterruptible)
    })

    yield* Effect.addFinalizer(() =>
      Effect.ignore(finish).pipe(Effect.andThen(io(path, "cleaned up", () => rm(spoolDir, { recursive: true, force: true }))), Effect.ignore))

    const addRecord = (header: RecordHeader): Effect.Effect<number, DamonError> =>
      Effect.suspend(() => {
        if (state !== "open") return Effect.fail(invalidArgument(path, "addRecord", "the record file is already finished"))
        if (sinks.length === 0) {
          started = true
          sinks.push({ header, ...out, spool: undefined, count: 0 })
          return Effect.as(io(path, "written", () => writeChunk(out.stream, `[${recordJsonHead(header)}`)), 0)
        }
        const spool = join(spoolDir, `record-${sinks.length}`)
        sinks.push({ header, ...open(spool, compressed ? 1 : undefined), spool, count: 0 })
        return Effect.succeed(sinks.length - 1)
      })

    const append = (index: number, snapshot: RecordSnapshot): Effect.Effect<void, DamonError> =>
      Effect.suspend(() => {
        const s = sinks[index]
        if (state !== "open") return Effect.fail(invalidArgument(path, "append", "the record file is already finished"))
        if (s === undefined) return Effect.fail(invalidArgument(path, index, `names no record (${sinks.length} added)`))
        if (failure !== undefined) return Effect.fail(ioError(path, "written")(failure))
        const chunk = s.count === 0 ? snapshotJson(snapshot) : `,${snapshotJson(snapshot)}`
        s.count++
        return io(path, "written", () => writeChunk(s.stream, chunk))
      })

    return { addRecord, append, finish }
  })

/** Writes records to a record file at once (`json_compressed` unless `{ compressed: false }`). */
export const writeRecordFile = (
  path: string,
  records: ReadonlyArray<DamonRecord>,
  options: RecordWriteOptions = {}
): Effect.Effect<void, DamonError> =>
  Effect.scoped(Effect.gen(function*() {
    const w = yield* openRecordWriter(path, options)
    for (const r of records) {
      const i = yield* w.addRecord(r)
      for (const s of r.snapshots) yield* w.append(i, s)
    }
    yield* w.finish
  }))
