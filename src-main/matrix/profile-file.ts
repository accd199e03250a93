// `profile.json`: what a profile is, without its secrets. It names the account (homeserver, user, device), the
// OAuth client this device registered, whether the device was signed out elsewhere, and the user's settings.
// Every layout has a `formatVersion`; older layouts are migrated on reading (and written back in the current
// one), a newer one is refused with `profile_too_new` so that an older build never half-understands it.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { writeFileAtomic } from "./atomic-file";
import { MatrixError } from "./errors";

export const PROFILE_FILE = "profile.json";
export const PROFILE_FORMAT_VERSION = 2;

const settingsSchema = z.object({
  /** The wire version offered first when this device shows a QR code. */
  defaultVersion: z.enum(["v2024", "v2025"]),
  qrErrorCorrection: z.enum(["L", "M", "Q", "H"]),
  theme: z.enum(["system", "light", "dark"]),
  /** The homeserver the user chose for new sign-ins (the account's own is `homeserver` at the top). */
  homeserver: z.string().optional(),
});

export type ProfileSettings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: ProfileSettings = {
  defaultVersion: "v2024",
  qrErrorCorrection: "M",
  theme: "system",
};

const oauthClientSchema = z.object({
  issuer: z.string(),
  clientId: z.string(),
  /** The account page (`account_management_uri`), where the user manages devices and approves resets. */
  accountManagementUri: z.string().optional(),
});

export type StoredOAuthClient = z.infer<typeof oauthClientSchema>;

const signedOutSchema = z.object({
  /** Milliseconds since the epoch. */
  at: z.number(),
  userId: z.string(),
  deviceId: z.string(),
  /** `elsewhere`: the server stopped accepting this device's tokens; `here`: the user signed out here. */
  where: z.enum(["elsewhere", "here"]),
});

const profileSchema = z.object({
  formatVersion: z.literal(PROFILE_FORMAT_VERSION),
  /** The account's homeserver base URL; absent until a device signs in. */
  homeserver: z.string().optional(),
  userId: z.string().optional(),
  deviceId: z.string().optional(),
  oauthClient: oauthClientSchema.optional(),
  signedOut: signedOutSchema.optional(),
  settings: settingsSchema,
});

export type ProfileData = z.infer<typeof profileSchema>;

/**
 * formatVersion 1, the first layout: flat fields, the OAuth client as two strings, settings under other names.
 * Kept readable so that the migration path works (and is tested) from the first release on.
 */
const profileV1Schema = z.object({
  formatVersion: z.literal(1),
  homeserverUrl: z.string().optional(),
  userId: z.string().optional(),
  deviceId: z.string().optional(),
  clientId: z.string().optional(),
  issuer: z.string().optional(),
  preferences: z
    .object({
      version: z.enum(["v2024", "v2025"]).optional(),
      ecLevel: z.enum(["L", "M", "Q", "H"]).optional(),
      theme: z.enum(["system", "light", "dark"]).optional(),
    })
    .optional(),
});

function migrateV1(v1: z.infer<typeof profileV1Schema>): ProfileData {
  const { preferences = {} } = v1;
  return {
    formatVersion: PROFILE_FORMAT_VERSION,
    ...(v1.homeserverUrl === undefined ? {} : { homeserver: v1.homeserverUrl }),
    ...(v1.userId === undefined ? {} : { userId: v1.userId }),
    ...(v1.deviceId === undefined ? {} : { deviceId: v1.deviceId }),
    ...(v1.clientId === undefined || v1.issuer === undefined
      ? {}
      : { oauthClient: { issuer: v1.issuer, clientId: v1.clientId } }),
    settings: {
      defaultVersion: preferences.version ?? DEFAULT_SETTINGS.defaultVersion,
      qrErrorCorrection: preferences.ecLevel ?? DEFAULT_SETTINGS.qrErrorCorrection,
      theme: preferences.theme ?? DEFAULT_SETTINGS.theme,
    },
  };
}

export function newProfileData(): ProfileData {
  return { formatVersion: PROFILE_FORMAT_VERSION, settings: { ...DEFAULT_SETTINGS } };
}

export interface ReadProfile {
  readonly data: ProfileData;
  /** The layout it was read from, when older than the current one (the caller writes it back). */
  readonly migratedFrom?: number;
}

/** Parses `profile.json`'s text: the current layout, or an older one migrated. */
export function parseProfileData(text: string, file: string): ReadProfile {
  const corrupt = (reason: string, cause?: unknown): MatrixError =>
    new MatrixError("profile_corrupt", `${file} is damaged (${reason})`, { file, reason, cause });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw corrupt("not_json", error);
  }
  const version = (json as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    throw corrupt("no_format_version");
  }
  if (version > PROFILE_FORMAT_VERSION) {
    throw new MatrixError(
      "profile_too_new",
      `${file} has format ${version}; this version of the app reads up to ${PROFILE_FORMAT_VERSION}`,
      { file, reason: `format_${version}` },
    );
  }
  if (version === 1) {
    const v1 = profileV1Schema.safeParse(json);
    if (!v1.success) throw corrupt("invalid_v1", v1.error);
    return { data: migrateV1(v1.data), migratedFrom: 1 };
  }
  const current = profileSchema.safeParse(json);
  if (!current.success) throw corrupt("invalid", current.error);
  return { data: current.data };
}

/** Reads `file`; undefined when it does not exist. */
export async function readProfileFile(file: string): Promise<ReadProfile | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new MatrixError("profile_corrupt", `cannot read ${file}`, {
      file,
      reason: (error as NodeJS.ErrnoException).code ?? "read_failed",
      cause: error,
    });
  }
  return parseProfileData(text, file);
}

export async function writeProfileFile(file: string, data: ProfileData): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(profileSchema.parse(data), null, 2)}\n`);
}
