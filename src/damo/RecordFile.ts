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
import { Effect, Result, type Scope } from "effect"
import { createReadStream, createWriteStream, type WriteStream } from "node:fs"
import { mkdtemp, readFile, rename, rm } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import type { Writable } from "node:stream"
import { finished } from "node:stream/promises"
import { createDeflate, createInflate, type Deflate, inflate } from "node:zlib"
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

/** Writes `chunk`, waiting for the stream to drain when its buffer is full. */
const writeChunk = (s: Writable, chunk: string): Promise<void> =>
  s.write(chunk) ? Promise.resolve() : new Promise((resolve, reject) => {
    const done = (e?: unknown) => {
      s.off("drain", done)
      s.off("error", done)
      if (e === undefined) resolve()
      else reject(e)
    }
    s.once("drain", done)
    s.once("error", done)
  })

/** Ends a deflate stream and waits until its file is closed. */
const endSpool = async (z: Deflate, file: WriteStream): Promise<void> => {
  z.end()
  await finished(file)
}

interface Spool {
  readonly header: RecordHeader
  readonly path: string
  readonly z: Deflate
  readonly file: WriteStream
  count: number
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
 * Opens a writer of a record file at `path` (`json_compressed`, or plain `json` with
 * `{ compressed: false }`); the file is built by `finish` or, at the latest, when the scope
 * closes (also on interruption), so what was appended is never lost.
 */
export const openRecordWriter = (
  path: string,
  options: { readonly compressed?: boolean } = {}
): Effect.Effect<RecordWriter, DamonError, Scope.Scope> =>
  Effect.gen(function*() {
    const compressed = options.compressed !== false
    const spoolDir = yield* io(path, "written", () => mkdtemp(join(dirname(path), `.${basename(path)}.spool-`)))
    const spools: Array<Spool> = []
    let state: "open" | "finishing" | "done" = "open"
    let failure: unknown = undefined

    const build = async (): Promise<void> => {
      for (const s of spools) await endSpool(s.z, s.file)
      const tmp = join(spoolDir, "out")
      const file = createWriteStream(tmp)
      const sink: Writable = compressed ? createDeflate() : file
      if (compressed) sink.pipe(file)
      await writeChunk(sink, "[")
      for (let i = 0; i < spools.length; i++) {
        const s = spools[i]!
        await writeChunk(sink, `${i === 0 ? "" : ","}${recordJsonHead(s.header)}`)
        for await (const chunk of createReadStream(s.path).pipe(createInflate())) await writeChunk(sink, (chunk as Buffer).toString("utf8"))
        await writeChunk(sink, "]}")
      }
      await writeChunk(sink, "]")
      sink.end()
      await finished(file)
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
        const spoolPath = join(spoolDir, `record-${spools.length}`)
        const file = createWriteStream(spoolPath)
        const z = createDeflate()
        z.pipe(file)
        const onError = (e: unknown) => void (failure ??= e)
        z.on("error", onError)
        file.on("error", onError)
        spools.push({ header, path: spoolPath, z, file, count: 0 })
        return Effect.succeed(spools.length - 1)
      })

    const append = (index: number, snapshot: RecordSnapshot): Effect.Effect<void, DamonError> =>
      Effect.suspend(() => {
        const s = spools[index]
        if (state !== "open") return Effect.fail(invalidArgument(path, "append", "the record file is already finished"))
        if (s === undefined) return Effect.fail(invalidArgument(path, index, `names no record (${spools.length} added)`))
        if (failure !== undefined) return Effect.fail(ioError(path, "written")(failure))
        const chunk = `${s.count === 0 ? "" : ","}${snapshotJson(snapshot)}`
        s.count++
        return io(path, "written", () => writeChunk(s.z, chunk))
      })

    return { addRecord, append, finish }
  })

/** Writes records to a record file at once (`json_compressed` unless `{ compressed: false }`). */
export const writeRecordFile = (
  path: string,
  records: ReadonlyArray<DamonRecord>,
  options: { readonly compressed?: boolean } = {}
): Effect.Effect<void, DamonError> =>
  Effect.scoped(Effect.gen(function*() {
    const w = yield* openRecordWriter(path, options)
    for (const r of records) {
      const i = yield* w.addRecord(r)
      for (const s of r.snapshots) yield* w.append(i, s)
    }
    yield* w.finish
  }))
