// The one contract between the engine (main process) and any view (the renderer over Electron IPC or the
// browser host's WebSocket, and the command line's `--json` mode). Every command and every event has a schema,
// and both ends validate every message against it: unknown names, extra keys and oversize messages are refused
// with a typed answer. Nothing that crosses it carries a token, a private key, a secret, ciphertext, or a
// recovery key other than in the one answer that shows it to the user once.
import { z } from "zod";
import { COMMAND_NAMES, EVENT_NAMES, type CommandNameList, type EventNameList } from "./contract-names";
import { FLOW_ERROR_CODES, outsideText } from "./errors";
import { nestsWithin } from "./json-depth";
import { FLOW_COMMAND_TYPES, FLOW_PHASES, flowCommandSchema } from "./flow";

/** The largest message either end accepts, in UTF-16 code units of its JSON. */
export const MAX_MESSAGE_CHARS = 64 * 1024;

const text = (max = 2048) => z.string().max(max);
const base64 = z
  .string()
  .max(8192)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/);
const wireVersion = z.enum(["v2024", "v2025"]);

export const flowErrorSchema = z.strictObject({
  code: z.enum(FLOW_ERROR_CODES),
  reason: text(100).optional(),
  retryable: z.boolean(),
  message: text(600),
});

const preflightCheckSchema = z.strictObject({
  id: z.enum([
    "oauth_metadata",
    "device_grant",
    "registration",
    "rendezvous_v2024",
    "rendezvous_v2025",
    "cross_signing_keys",
  ]),
  status: z.enum(["pending", "ok", "failed", "skipped"]),
  cause: text(100).optional(),
});

const snapshotBase = {
  flowId: text(64),
  seq: z.number().int().nonnegative(),
  role: z.enum(["new_device", "existing_device"]),
  side: z.enum(["generator", "scanner"]),
  version: wireVersion,
  expiresAt: z.number().optional(),
  accepts: z.array(z.enum(FLOW_COMMAND_TYPES)).max(FLOW_COMMAND_TYPES.length).readonly(),
};

const phase = <P extends string, S extends z.ZodRawShape>(name: P, shape: S) =>
  z.strictObject({ ...snapshotBase, phase: z.literal(name), ...shape });

export const flowSnapshotSchema = z.discriminatedUnion("phase", [
  phase("preflight", { checks: z.array(preflightCheckSchema).max(16).readonly() }),
  phase("instructions", {}),
  phase("preparing", {}),
  phase("showing_qr", { qr: base64, serial: z.number().int().nonnegative() }),
  phase("scanning", {}),
  phase("connecting", {}),
  phase("check_code_display", { code: z.string().regex(/^\d\d$/) }),
  phase("check_code_entry", { attemptsLeft: z.number().int().nonnegative(), mismatch: z.boolean() }),
  phase("confirm_homeserver", { from: text(), to: text() }),
  phase("approve_device", { userId: text(255), deviceId: text(255) }),
  phase("negotiating", {}),
  phase("waiting_for_approval", { userCode: text(64), verificationUri: text() }),
  phase("consent", { verificationUri: text(), host: text(255), deviceId: text(255) }),
  phase("syncing_secrets", {}),
  phase("done", {
    userId: text(255),
    deviceId: text(255),
    verified: z.boolean(),
    backup: z.boolean(),
  }),
  phase("error", { error: flowErrorSchema }),
]);

// Every phase has a schema (a test checks the list against FLOW_PHASES).
export const SNAPSHOT_PHASES = FLOW_PHASES;

const transcriptEntrySchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("http"),
    step: text(16).optional(),
    time: z.number(),
    layer: z.enum(["rendezvous", "channel", "oauth", "matrix", "flow"]),
    method: text(16),
    host: text(255).optional(),
    path: text(600),
    status: z.number().int().optional(),
    requestBytes: z.number().int().nonnegative().optional(),
    responseBytes: z.number().int().nonnegative().optional(),
    etag: text(300).optional(),
    sequenceToken: text(300).optional(),
    error: text(400).optional(),
  }),
  z.strictObject({
    kind: z.literal("message"),
    step: text(16).optional(),
    time: z.number(),
    layer: z.literal("channel"),
    direction: z.enum(["sent", "received"]),
    messageType: text(120),
    fields: z.array(text(64)).max(32).readonly().optional(),
  }),
  z.strictObject({
    kind: z.literal("step"),
    step: text(16).optional(),
    time: z.number(),
    layer: z.enum(["rendezvous", "channel", "oauth", "matrix", "flow"]),
    name: text(120),
    detail: text(400).optional(),
  }),
]);

export const settingsSchema = z.strictObject({
  defaultVersion: wireVersion,
  qrErrorCorrection: z.enum(["L", "M", "Q", "H"]),
  theme: z.enum(["system", "light", "dark"]),
  homeserver: text(255).optional(),
});
export type Settings = z.infer<typeof settingsSchema>;

export const accountStateSchema = z.strictObject({
  profile: text(128),
  status: z.enum(["signed_out", "signed_in"]),
  userId: text(255).optional(),
  deviceId: text(255).optional(),
  homeserver: text().optional(),
  /** This device is signed by the account's self-signing key, as the server sees it. */
  verified: z.boolean().optional(),
  /** This device holds the private cross-signing keys (it can approve other devices). */
  crossSigning: z.enum(["ready", "missing_keys", "not_set_up"]).optional(),
  backup: z.boolean().optional(),
  /** Why the last session ended, e.g. `signed_out` elsewhere. */
  signedOutReason: text(200).optional(),
  /** A label for demo windows ("This computer, signed in" / "New device"). */
  label: text(100).optional(),
  settings: settingsSchema,
});
export type AccountState = z.infer<typeof accountStateSchema>;

const deviceSchema = z.strictObject({
  deviceId: text(255),
  displayName: text(255).optional(),
  lastSeenTs: z.number().optional(),
  verified: z.boolean(),
  current: z.boolean(),
});

/** Every check the homeserver doctor (src-main/doctor) runs, in the order it reports them. */
export const DOCTOR_CHECK_IDS = [
  "well_known",
  "versions",
  "oauth_metadata",
  "device_grant",
  "registration",
  "device_authorization",
  "rendezvous_v2024",
  "round_trip_v2024",
  "rendezvous_v2025",
  "round_trip_v2025",
] as const;
export type DoctorCheckId = (typeof DOCTOR_CHECK_IDS)[number];

const doctorCheckSchema = z.strictObject({
  id: text(64),
  status: z.enum(["ok", "failed", "skipped"]),
  cause: text(200).optional(),
  detail: text(400).optional(),
});

export const doctorReportSchema = z.strictObject({
  homeserver: text(),
  baseUrl: text().optional(),
  checks: z.array(doctorCheckSchema).max(32),
  /** Whether a QR sign-in can work with this homeserver, and if not the missing piece. */
  ok: z.boolean(),
  missing: text(200).optional(),
});
export type DoctorReport = z.infer<typeof doctorReportSchema>;

/**
 * The local demo ("Try it on this computer"): an in-process homeserver and two windows on one machine. `window`
 * says which of the two this is; `password` (the generated password of the user `demo`, which the consent page
 * asks for) is only in the answers of `demo.tryLocally` and `demo.status` to the signed-in window, which shows it;
 * never in an event.
 */
export const demoStateSchema = z.strictObject({
  active: z.boolean(),
  window: z.enum(["signed_in", "new_device"]).optional(),
  homeserver: text().optional(),
  user: text(255).optional(),
  password: text(128).optional(),
  /** Rendezvous lifetimes as Synapse serves them (v2024: 60 s) instead of the demo's 600 s. */
  synapseTiming: z.boolean(),
  /** The v2024 rendezvous lifetime in force, in seconds. */
  v2024LifetimeS: z.number().int().min(1).optional(),
});
export type DemoState = z.infer<typeof demoStateSchema>;

/** A picture of a QR code as PNG (pixels, never the QR's bytes), for the other window's image scanner. */
const pngImage = z
  .string()
  .max(48 * 1024)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/);

const empty = z.strictObject({});
const ok = z.strictObject({ ok: z.literal(true) });

/** Requests from a view, each with its answer. */
export const COMMANDS = {
  "flow.start": {
    request: z.strictObject({
      /** `sign_in`: this device is the new one; `link`: this device approves a new one. */
      kind: z.enum(["sign_in", "link"]),
      /** Whether this device shows the QR code or scans one. */
      side: z.enum(["show", "scan"]),
      version: wireVersion.optional(),
      homeserver: text(255).optional(),
    }),
    response: z.strictObject({ flowId: text(64) }),
  },
  "flow.command": {
    request: z.strictObject({ flowId: text(64), command: flowCommandSchema }),
    response: z.union([
      z.strictObject({ type: z.literal("accepted") }),
      z.strictObject({
        type: z.literal("rejected"),
        reason: z.enum(["not_accepted_now", "invalid_command", "flow_finished", "unknown_flow"]),
        detail: text(300).optional(),
      }),
    ]),
  },
  "account.get": { request: empty, response: accountStateSchema },
  "account.login": { request: z.strictObject({ homeserver: text(255) }), response: accountStateSchema },
  "account.bootstrap": {
    request: empty,
    // The recovery key's one display: never stored, never sent again.
    response: z.strictObject({ recoveryKey: text(200) }),
  },
  "account.recover": { request: z.strictObject({ recoveryKey: text(200) }), response: accountStateSchema },
  "account.resetIdentity": {
    request: empty,
    // A new identity comes with a new recovery key: its one display, as with bootstrap.
    response: z.strictObject({ recoveryKey: text(200) }),
  },
  "account.devices": {
    request: empty,
    response: z.strictObject({ devices: z.array(deviceSchema).max(500) }),
  },
  "account.signOut": { request: empty, response: accountStateSchema },
  "account.signOutDevice": {
    request: z.strictObject({ deviceId: text(255) }),
    response: z.strictObject({ url: text() }),
  },
  "settings.set": { request: settingsSchema.partial().strict(), response: accountStateSchema },
  "doctor.run": { request: z.strictObject({ homeserver: text(255) }), response: doctorReportSchema },
  "transcript.export": {
    request: z.strictObject({ format: z.enum(["markdown", "json"]) }),
    response: z.strictObject({ text: z.string().max(4 * 1024 * 1024) }),
  },
  "app.openExternal": { request: z.strictObject({ url: text() }), response: ok },
  /** Starts the local demo from a window with no account: this window becomes the signed-in one. */
  "demo.tryLocally": { request: empty, response: demoStateSchema },
  "demo.status": { request: empty, response: demoStateSchema },
  "demo.setSynapseTiming": { request: z.strictObject({ on: z.boolean() }), response: demoStateSchema },
  "demo.sendQrToOtherWindow": { request: z.strictObject({ png: pngImage }), response: ok },
} as const satisfies Record<CommandNameList, { request: z.ZodType; response: z.ZodType }>;

export type CommandName = keyof typeof COMMANDS;
export type CommandRequest<N extends CommandName> = z.infer<(typeof COMMANDS)[N]["request"]>;
export type CommandResponse<N extends CommandName> = z.infer<(typeof COMMANDS)[N]["response"]>;

/** Events from the engine to every view. */
export const EVENTS = {
  "flow.snapshot": flowSnapshotSchema,
  "transcript.entry": transcriptEntrySchema,
  "account.state": accountStateSchema,
  /** The browser host asks the page to open a URL from the user's next click (no popup without a gesture). */
  "app.openRequest": z.strictObject({ url: text(), host: text(255) }),
  /** The local demo started, or its timing changed (never with the password). */
  "demo.state": demoStateSchema,
  /** The other demo window sent its QR code as a picture: the scanner decodes it as it would a camera frame. */
  "demo.scanImage": z.strictObject({ png: pngImage }),
} as const satisfies Record<EventNameList, z.ZodType>;

export { COMMAND_NAMES, EVENT_NAMES };

export type EventName = keyof typeof EVENTS;
export type EventPayload<N extends EventName> = z.infer<(typeof EVENTS)[N]>;

/** How a command can fail at the contract (the engine's own failures come back as a FlowError). */
export const contractErrorSchema = z.strictObject({
  code: z.enum(["unknown_command", "invalid_request", "too_large", "invalid_response", "forbidden_sender"]),
  message: text(300),
});
export type ContractError = z.infer<typeof contractErrorSchema>;

/** The answer to every command: its response, a contract error, or the engine's error as plain data. */
export type CommandOutcome<N extends CommandName> =
  | { readonly ok: true; readonly value: CommandResponse<N> }
  | { readonly ok: false; readonly contractError: ContractError }
  | { readonly ok: false; readonly error: z.infer<typeof flowErrorSchema> };

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === "string" && Object.hasOwn(COMMANDS, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === "string" && Object.hasOwn(EVENTS, name);
}

/** Validates a request against its command's schema (size first, then shape). */
export function readRequest<N extends CommandName>(
  name: N,
  payload: unknown,
): { ok: true; value: CommandRequest<N> } | { ok: false; error: ContractError } {
  const size = jsonSize(payload);
  if (size === undefined || size > MAX_MESSAGE_CHARS) {
    return {
      ok: false,
      error: { code: "too_large", message: `request over ${MAX_MESSAGE_CHARS} characters` },
    };
  }
  const parsed = COMMANDS[name].request.safeParse(payload);
  if (!parsed.success) {
    return { ok: false, error: { code: "invalid_request", message: issueText(parsed.error) } };
  }
  return { ok: true, value: parsed.data as CommandRequest<N> };
}

/** Validates an event payload (the receiving end does the same). */
export function readEvent<N extends EventName>(
  name: N,
  payload: unknown,
): { ok: true; value: EventPayload<N> } | { ok: false; error: ContractError } {
  const size = jsonSize(payload);
  if (size === undefined || size > MAX_MESSAGE_CHARS) {
    return { ok: false, error: { code: "too_large", message: `event over ${MAX_MESSAGE_CHARS} characters` } };
  }
  const parsed = EVENTS[name].safeParse(payload);
  if (!parsed.success)
    return { ok: false, error: { code: "invalid_response", message: issueText(parsed.error) } };
  return { ok: true, value: parsed.data as EventPayload<N> };
}

/**
 * Reads a request whose command name came from outside (a WebSocket frame, an IPC channel): an unknown name is
 * `unknown_command`, then as `readRequest`.
 */
export function readCommand(
  name: unknown,
  payload: unknown,
): { ok: true; name: CommandName; value: CommandRequest<CommandName> } | { ok: false; error: ContractError } {
  if (!isCommandName(name)) {
    return {
      ok: false,
      error: {
        code: "unknown_command",
        message: `no command named ${typeof name === "string" ? outsideText(name, 64) : `a ${typeof name}`}`,
      },
    };
  }
  const read = readRequest(name, payload);
  return read.ok ? { ok: true, name, value: read.value } : read;
}

const outcomeErrorSchema = z.union([
  z.strictObject({ ok: z.literal(false), contractError: contractErrorSchema }),
  z.strictObject({ ok: z.literal(false), error: flowErrorSchema }),
]);

/**
 * Checks a command's answer as it arrives (the view's end of "both ends validate"): its response against the
 * command's schema, or a well-formed contract or engine error. Anything else becomes `invalid_response`.
 */
export function readOutcome<N extends CommandName>(name: N, outcome: unknown): CommandOutcome<N> {
  if (typeof outcome === "object" && outcome !== null && (outcome as { ok?: unknown }).ok === true) {
    const shape = z.strictObject({ ok: z.literal(true), value: COMMANDS[name].response });
    const parsed = shape.safeParse(outcome);
    if (parsed.success) return { ok: true, value: parsed.data.value as CommandResponse<N> };
    return { ok: false, contractError: { code: "invalid_response", message: issueText(parsed.error) } };
  }
  const parsed = outcomeErrorSchema.safeParse(outcome);
  if (parsed.success) return parsed.data;
  return {
    ok: false,
    contractError: { code: "invalid_response", message: `${name}: the answer is not a command outcome` },
  };
}

// --- The browser host's WebSocket frames ----------------------------------------------------------------------
// The same commands and events, one JSON text frame each. The page sends `invoke`; the host answers each with a
// `result` carrying the same id, pushes `event`s, and answers a frame it cannot read at all with `refused`.

/** Where the page opens the WebSocket, on the page's own origin. */
export const BRIDGE_PATH = "/bridge";
/** The subprotocol the host selects; the page offers it with the token's (which the host never echoes). */
export const BRIDGE_SUBPROTOCOL = "matrix-qr-login.v1";
const TOKEN_SUBPROTOCOL_PREFIX = "token.";
/** A browser host's token: 32 random bytes, base64url (whose characters are all valid in a subprotocol). */
export const BRIDGE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The token rides in `Sec-WebSocket-Protocol`, the one header a page can set on a WebSocket: never in a URL,
 * where it would reach logs and history.
 */
export function tokenSubprotocol(token: string): string {
  if (!BRIDGE_TOKEN.test(token)) throw new TypeError("not a browser host token");
  return `${TOKEN_SUBPROTOCOL_PREFIX}${token}`;
}

/** The token among the offered subprotocols, if exactly one well-formed one is there. */
export function tokenFromSubprotocols(offered: readonly string[]): string | undefined {
  const tokens = offered
    .filter((protocol) => protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX))
    .map((protocol) => protocol.slice(TOKEN_SUBPROTOCOL_PREFIX.length));
  const [token] = tokens;
  return tokens.length === 1 && token !== undefined && BRIDGE_TOKEN.test(token) ? token : undefined;
}

/** The longest frame either end reads (a request's own limit is MAX_MESSAGE_CHARS; the answer to
 * `transcript.export` may be longer). */
export const MAX_FRAME_CHARS = 5 * 1024 * 1024;

const frameId = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 31);

export const invokeFrameSchema = z.strictObject({
  type: z.literal("invoke"),
  id: frameId,
  name: z.string().max(64),
  request: z.unknown(),
});
export type InvokeFrame = z.infer<typeof invokeFrameSchema>;

export type HostFrame =
  | { readonly type: "result"; readonly id: number; readonly outcome: CommandOutcome<CommandName> }
  | { readonly type: "event"; readonly name: EventName; readonly payload: unknown }
  | { readonly type: "refused"; readonly id?: number; readonly error: ContractError };

const hostFrameSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("result"), id: frameId, outcome: z.unknown() }),
  z.strictObject({ type: z.literal("event"), name: z.string().max(64), payload: z.unknown() }),
  z.strictObject({ type: z.literal("refused"), id: frameId.optional(), error: contractErrorSchema }),
]);

/**
 * The deepest nesting a frame may have: the contract's deepest message is a handful of levels. JSON.parse takes
 * about a microsecond per level (a 64 KiB frame of `[` blocked the reader for ~90 ms; a 5 MiB one, seconds), so
 * the depth is counted before parsing.
 */
export const MAX_FRAME_DEPTH = 32;

function parseFrameText(text: string): { ok: true; value: unknown } | { ok: false; error: ContractError } {
  if (text.length > MAX_FRAME_CHARS) {
    return { ok: false, error: { code: "too_large", message: `frame over ${MAX_FRAME_CHARS} characters` } };
  }
  if (!nestsWithin(text, MAX_FRAME_DEPTH)) {
    return {
      ok: false,
      error: { code: "invalid_request", message: `a frame nests over ${MAX_FRAME_DEPTH} deep` },
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, error: { code: "invalid_request", message: "a frame is one JSON object" } };
  }
}

/** Reads one frame from the page: an `invoke` frame whose name and request are checked by `readCommand`. */
export function readInvokeFrame(
  text: string,
):
  | { ok: true; id: number; name: CommandName; request: CommandRequest<CommandName> }
  | { ok: false; id?: number; error: ContractError } {
  const json = parseFrameText(text);
  if (!json.ok) return json;
  const frame = invokeFrameSchema.safeParse(json.value);
  if (!frame.success) {
    const id = (json.value as { id?: unknown } | null)?.id;
    return {
      ok: false,
      ...(frameId.safeParse(id).success ? { id: id as number } : {}),
      error: { code: "invalid_request", message: issueText(frame.error) },
    };
  }
  const read = readCommand(frame.data.name, frame.data.request);
  if (!read.ok) return { ok: false, id: frame.data.id, error: read.error };
  return { ok: true, id: frame.data.id, name: read.name, request: read.value };
}

/** Reads one frame from the host; an event's payload is checked by `readEvent` where it is delivered. */
export function readHostFrame(
  text: string,
): { ok: true; frame: HostFrame } | { ok: false; error: ContractError } {
  const json = parseFrameText(text);
  if (!json.ok) return json;
  const frame = hostFrameSchema.safeParse(json.value);
  if (!frame.success)
    return { ok: false, error: { code: "invalid_response", message: issueText(frame.error) } };
  if (frame.data.type === "event" && !isEventName(frame.data.name)) {
    return { ok: false, error: { code: "invalid_response", message: "an event of no known name" } };
  }
  return { ok: true, frame: frame.data as HostFrame };
}

function jsonSize(value: unknown): number | undefined {
  try {
    return JSON.stringify(value ?? null).length;
  } catch {
    return undefined;
  }
}

/**
 * The first issue as a contract error's message: its path and zod's message name the sender's own keys, so they
 * are outside text (escaped), and the whole fits the message's 300 characters.
 */
function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid";
  const text = outsideText(`${issue.path.map(String).join(".") || "payload"}: ${issue.message}`, 300);
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

/** What a view holds of the engine, whatever the transport (Electron IPC, the browser host's WebSocket, a test). */
export interface EngineApi {
  invoke<N extends CommandName>(name: N, request: CommandRequest<N>): Promise<CommandOutcome<N>>;
  /** Calls `listener` with every event of `name` until the returned function is called. */
  on<N extends EventName>(name: N, listener: (payload: EventPayload<N>) => void): () => void;
}
