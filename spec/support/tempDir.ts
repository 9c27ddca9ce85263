/**
 * Temporary directories for tests, removed when their test (or their file) ends, so that the suite
 * leaves nothing behind in the system's temporary directory however often it runs.
 */
import { afterAll, onTestFinished } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const remove = (dir: string) => () => rmSync(dir, { recursive: true, force: true })

/** A fresh directory under the system's temporary directory, removed when the running test ends. */
export const testTempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(remove(dir))
  return dir
}

/** A fresh directory for a whole test file (call it at the file's top level), removed after its last test. */
export const fileTempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  afterAll(remove(dir))
  return dir
}
