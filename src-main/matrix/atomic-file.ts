// Durable whole-file writes for the profile: the new content goes to a temporary file beside the target, is
// flushed to the disk (fsync), and only then renamed over the target, and the directory entry is flushed too. A
// crash or a failed write at any point leaves either the old file or the new one, never a mix, and never
// overwrites the last good copy with a broken one.
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { MatrixError } from "./errors";

/** Temporary files start with this, so that a profile can recognise (and clean) leftovers of a crash. */
export const TEMP_PREFIX = ".tmp-";

export interface AtomicWriteOptions {
  /** File mode of a new file (default 0o600: profile files are private to the user). */
  readonly mode?: number;
}

async function syncDirectory(directory: string): Promise<void> {
  // Windows cannot open a directory for fsync; there the rename is as durable as NTFS makes it.
  if (process.platform === "win32") return;
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` with `data` atomically and durably. Throws `profile_write_failed` naming the file when any step
 * fails; the old content is then untouched.
 */
export async function writeFileAtomic(
  file: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const directory = dirname(file);
  const temp = join(directory, `${TEMP_PREFIX}${basename(file)}-${randomBytes(6).toString("hex")}`);
  try {
    const handle = await open(temp, "wx", options.mode ?? 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    await syncDirectory(directory);
  } catch (error) {
    // The write's own failure is what the caller must hear about; a temporary file that cannot be removed either
    // is left for the next open to clean (`TEMP_PREFIX`).
    await rm(temp, { force: true }).catch(() => undefined);
    throw new MatrixError("profile_write_failed", `could not write ${file}`, {
      file,
      reason: (error as NodeJS.ErrnoException).code ?? "write_failed",
      cause: error,
    });
  }
}
