// The page's end of the browser host (src-main/hosts/browser/): when the page was opened with `#token=<token>`,
// it opens one WebSocket to its own origin, offering the token as a subprotocol, and builds the same bridge
// Electron's preload exposes (one named function per command, one subscribe function per event) over it. The token
// leaves the address bar at once and stays in this tab's session storage, so a reload keeps working.
import {
  BRIDGE_PATH,
  BRIDGE_SUBPROTOCOL,
  BRIDGE_TOKEN,
  COMMAND_NAMES,
  EVENT_NAMES,
  readHostFrame,
  tokenSubprotocol,
  type CommandName,
  type EventName,
  type InvokeFrame,
} from "../src-shared/contract";
import type { HostBridge } from "./engine";

const TOKEN_KEY = "matrixQrLogin.browserHostToken";

/** The token from the address's fragment (then removed from it), or the one this tab was opened with before. */
function takeToken(win: Window): string | undefined {
  const fragment = new URLSearchParams(win.location.hash.replace(/^#/, ""));
  const fromAddress = fragment.get("token");
  if (fromAddress !== null && BRIDGE_TOKEN.test(fromAddress)) {
    win.sessionStorage.setItem(TOKEN_KEY, fromAddress);
    win.history.replaceState(null, "", `${win.location.pathname}${win.location.search}`);
    return fromAddress;
  }
  const kept = win.sessionStorage.getItem(TOKEN_KEY);
  return kept !== null && BRIDGE_TOKEN.test(kept) ? kept : undefined;
}

/** The browser host's bridge, or undefined when this page was not opened by one. */
export function browserHostBridge(win: Window): HostBridge | undefined {
  if (win.location.protocol !== "http:" && win.location.protocol !== "https:") return undefined;
  const token = takeToken(win);
  if (token === undefined) return undefined;

  const scheme = win.location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${win.location.host}${BRIDGE_PATH}`, [
    BRIDGE_SUBPROTOCOL,
    tokenSubprotocol(token),
  ]);
  const pending = new Map<number, { resolve: (outcome: unknown) => void; reject: (error: Error) => void }>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let nextId = 1;
  let closed: Error | undefined;

  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => {
      resolve();
    });
    socket.addEventListener("close", (event) => {
      closed = new Error(
        `the browser host closed the connection (${event.code}${event.reason === "" ? "" : `: ${event.reason}`})`,
      );
      reject(closed);
      for (const waiting of pending.values()) waiting.reject(closed);
      pending.clear();
    });
  });
  // A refused handshake (a stale token after the host restarted) surfaces in the first command's answer.
  opened.catch(() => undefined);

  socket.addEventListener("message", (message) => {
    if (typeof message.data !== "string") return;
    const read = readHostFrame(message.data);
    if (!read.ok) {
      console.error(`the browser host sent a frame that breaks the contract: ${read.error.message}`);
      return;
    }
    const frame = read.frame;
    if (frame.type === "event") {
      for (const listener of listeners.get(frame.name) ?? []) listener(frame.payload);
      return;
    }
    const id = frame.id;
    const waiting = id === undefined ? undefined : pending.get(id);
    if (id === undefined || waiting === undefined) {
      if (frame.type === "refused") console.error(`the browser host refused a frame: ${frame.error.message}`);
      return;
    }
    pending.delete(id);
    waiting.resolve(frame.type === "result" ? frame.outcome : { ok: false, contractError: frame.error });
  });

  const invoke = async (name: CommandName, request: unknown): Promise<unknown> => {
    await opened;
    if (closed !== undefined) throw closed;
    const id = nextId++;
    const frame: InvokeFrame = { type: "invoke", id, name, request };
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify(frame));
    });
  };

  const subscribe = (name: EventName, listener: (payload: unknown) => void): (() => void) => {
    const set = listeners.get(name) ?? new Set();
    listeners.set(name, set);
    const own = (payload: unknown) => {
      listener(payload);
    };
    set.add(own);
    return () => {
      set.delete(own);
    };
  };

  return Object.freeze({
    host: "browser",
    commands: Object.freeze(
      Object.fromEntries(
        COMMAND_NAMES.map((name) => [name, (request: unknown) => invoke(name, request)] as const),
      ),
    ),
    events: Object.freeze(
      Object.fromEntries(
        EVENT_NAMES.map(
          (name) => [name, (listener: (payload: unknown) => void) => subscribe(name, listener)] as const,
        ),
      ),
    ),
  });
}
