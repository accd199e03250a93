// One process at a time per profile. Two processes on one crypto store would each hand out one-time keys and
// ratchet Olm sessions the other does not know of, and whichever snapshot landed last would roll the other back:
// a rolled-back Olm store cannot decrypt what its peers send next. So every host (command line, browser host,
// Electron) takes this lock before it opens a profile, and a second opener, in this process or another, gets a
// typed `profile_in_use` naming the holder.
//
// The lock is a file created exclusively (`wx`), holding who took it. A lock left by a process that died (killed,
// crashed) is taken over when its process is gone from this machine; a lock taken on another machine (a shared
// home directory) is never taken over, since we cannot tell whether its holder lives.
import { link, open, readFile, rename, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { MatrixError } from "./errors";

export const LOCK_FILE = "lock";

export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  /** Which host of the app holds it: `cli`, `browser-host`, `electron`, a test's name. */
  readonly app: string;
  /** Milliseconds since the epoch. */
  readonly since: number;
}

export interface ProfileLock {
  readonly holder: LockHolder;
  /** Removes the lock if it is still ours (idempotent). */
  release(): Promise<void>;
}

function describeHolder(holder: LockHolder): string {
  return `${holder.app} (process ${holder.pid} on ${holder.hostname}, since ${new Date(holder.since).toISOString()})`;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (
      typeof value.pid === "number" &&
      typeof value.hostname === "string" &&
      typeof value.app === "string" &&
      typeof value.since === "number"
    ) {
      return { pid: value.pid, hostname: value.hostname, app: value.app, since: value.since };
    }
  } catch {
    // An unreadable lock (a crash between create and write) is handled as one whose holder is unknown.
  }
  return undefined;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A lock file without a readable holder this old was left by a crash between its creation and its write. */
const UNREADABLE_LOCK_STALE_MS = 10_000;

/** Whether a lock may be taken over: its holder is a dead process on this machine. */
function isStale(text: string, ageMs: number): boolean {
  const holder = parseHolder(text);
  if (holder === undefined) return ageMs > UNREADABLE_LOCK_STALE_MS;
  return holder.hostname === hostname() && holder.pid !== process.pid && !processIsAlive(holder.pid);
}

const heldInThisProcess = new Set<string>();

async function tryCreate(file: string, holder: LockHolder): Promise<boolean> {
  try {
    const handle = await open(file, "wx", 0o600);
    try {
      await handle.writeFile(JSON.stringify(holder));
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/**
 * Moves a stale lock aside, atomically: of two processes taking over the same stale lock, only one rename finds
 * it; and if what was moved is not the stale lock we judged (another process took over in between), it is put
 * back. Returns whether the stale lock is gone.
 */
async function takeOverStale(file: string, staleText: string): Promise<boolean> {
  const aside = `${file}.stale-${randomBytes(6).toString("hex")}`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw error;
  }
  const moved = await readFile(aside, "utf8");
  if (moved !== staleText) {
    // Someone else's fresh lock: put it back where it was (link fails if a third lock appeared meanwhile).
    await link(aside, file).catch(() => undefined);
    await rm(aside, { force: true });
    return false;
  }
  await rm(aside, { force: true });
  return true;
}

/** Takes the lock of the profile in `dir`, or throws `profile_in_use` naming the holder. */
export async function lockProfile(dir: string, app: string): Promise<ProfileLock> {
  const file = join(dir, LOCK_FILE);
  const holder: LockHolder = { pid: process.pid, hostname: hostname(), app, since: Date.now() };
  const inUse = (text: string): MatrixError => {
    const current = parseHolder(text);
    const who =
      current === undefined ? "another process (its lock file is unreadable)" : describeHolder(current);
    return new MatrixError("profile_in_use", `the profile ${dir} is open in ${who}`, { holder: who });
  };
  if (heldInThisProcess.has(file)) {
    throw inUse(await readFile(file, "utf8").catch(() => ""));
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(file, holder)) {
      heldInThisProcess.add(file);
      let released = false;
      return {
        holder,
        release: async () => {
          if (released) return;
          released = true;
          heldInThisProcess.delete(file);
          const current = await readFile(file, "utf8").catch(() => "");
          if (current === JSON.stringify(holder)) await rm(file, { force: true });
        },
      };
    }
    let text: string;
    let ageMs: number;
    try {
      ageMs = Date.now() - (await stat(file)).mtimeMs;
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    if (!isStale(text, ageMs) || !(await takeOverStale(file, text))) throw inUse(text);
  }
  throw inUse(await readFile(file, "utf8").catch(() => ""));
}
