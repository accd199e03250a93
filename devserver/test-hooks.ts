// The `/_devserver/*` test-control API, served only with `testHooks: true`, for tests that drive the devserver
// from another process (the CLI, the browser host). In-process tests use the same objects through `hooks`.
//   POST   /_devserver/faults          FaultSpec -> {}        GET -> {"faults": [...]}   DELETE -> {}
//   GET    /_devserver/rendezvous-log  -> [{time, method, path, status, bodyBytes}]     DELETE -> {}
//   GET    /_devserver/client-api-log  -> the same for every `/_matrix/client/` request   DELETE -> {}
//   POST   /_devserver/holds           HoldSpec -> {id}       GET -> {"holds": [...]}    DELETE -> {} (releases all)
//   GET    /_devserver/clock           -> {"now"}             POST {"advanceMs"} -> {"now"}
// The clock is the rendezvous side's; OAuth runs on real time, and an advance only hurries its device-grant
// polling pace along (oauth/index.ts, "Time").
//
// These paths can mint tokens, approve device codes, read the rendezvous log and inject faults, and the devserver
// listens where the developer's browser can reach it: `createTestHooksGate` stands in front of all of them (this
// module's and the OAuth server's), and they get no CORS headers (http.ts `corsHandler`).
import type { Clock } from "./clock";
import { parseFaultSpec, type FaultInjector } from "./faults";
import { parseHoldSpec, type RequestHolds } from "./holds";
import { MatrixError, TEST_HOOKS_PREFIX, discardBody, readJson, sendJson, type RequestHandler } from "./http";
import type { RendezvousLog } from "./rendezvous/log";
import type { RequestLog } from "./request-log";
import { createRouter } from "./router";

const BODY_LIMIT = 64 * 1024;

export interface TestHookTargets {
  readonly faults: FaultInjector;
  readonly log: RendezvousLog;
  readonly clientApiLog: RequestLog;
  readonly holds: RequestHolds;
  readonly clock: Clock;
}

/** Methods whose requests carry a JSON body on the hooks (every POST does). */
const BODY_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"]);

function hasBody(req: Parameters<RequestHandler>[0]): boolean {
  return (
    BODY_METHODS.has(req.method ?? "") ||
    req.headers["transfer-encoding"] !== undefined ||
    (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0")
  );
}

function isJsonMediaType(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

/**
 * The guard in front of every `/_devserver/*` path. A request that carries an `Origin` other than the devserver's
 * own (`ownOrigins`: its base URL's and public base URL's) comes from a web page elsewhere: 403. A body must be
 * `application/json` (415 otherwise): a page can send `text/plain`, a form or `multipart` anywhere without a
 * preflight, never JSON. Node's fetch, curl and the CLI send no `Origin` and are let through.
 */
export function createTestHooksGate(ownOrigins: readonly string[]): RequestHandler {
  return (req, _res, url) => {
    if (!url.pathname.startsWith(TEST_HOOKS_PREFIX)) return Promise.resolve(false);
    const origin = req.headers.origin;
    if (origin !== undefined && !ownOrigins.includes(origin)) {
      discardBody(req);
      return Promise.reject(
        new MatrixError(403, "M_FORBIDDEN", "The test hooks refuse requests from web pages of other origins"),
      );
    }
    if (hasBody(req) && !isJsonMediaType(req.headers["content-type"])) {
      discardBody(req);
      return Promise.reject(
        new MatrixError(
          415,
          "M_NOT_JSON",
          "The test hooks take JSON bodies only (Content-Type: application/json)",
        ),
      );
    }
    return Promise.resolve(false);
  };
}

export function createTestHooksHandler({
  faults,
  log,
  clientApiLog,
  holds,
  clock,
}: TestHookTargets): RequestHandler {
  return createRouter([
    {
      method: "POST",
      path: "/_devserver/faults",
      handle: async ({ req, res }) => {
        faults.add(parseFaultSpec(await readJson(req, BODY_LIMIT)));
        sendJson(res, 200, {});
      },
    },
    {
      method: "GET",
      path: "/_devserver/faults",
      handle: ({ res }) => {
        sendJson(res, 200, { faults: faults.pending() });
      },
    },
    {
      method: "DELETE",
      path: "/_devserver/faults",
      handle: ({ res }) => {
        faults.clear();
        sendJson(res, 200, {});
      },
    },
    {
      method: "GET",
      path: "/_devserver/rendezvous-log",
      handle: ({ res }) => {
        sendJson(res, 200, log.list());
      },
    },
    {
      method: "DELETE",
      path: "/_devserver/rendezvous-log",
      handle: ({ res }) => {
        log.clear();
        sendJson(res, 200, {});
      },
    },
    {
      method: "GET",
      path: "/_devserver/client-api-log",
      handle: ({ res }) => {
        sendJson(res, 200, clientApiLog.list());
      },
    },
    {
      method: "DELETE",
      path: "/_devserver/client-api-log",
      handle: ({ res }) => {
        clientApiLog.clear();
        sendJson(res, 200, {});
      },
    },
    {
      method: "POST",
      path: "/_devserver/holds",
      handle: async ({ req, res }) => {
        const hold = holds.add(parseHoldSpec(await readJson(req, BODY_LIMIT)));
        sendJson(res, 200, { id: hold.id });
      },
    },
    {
      method: "GET",
      path: "/_devserver/holds",
      handle: ({ res }) => {
        sendJson(res, 200, { holds: holds.list() });
      },
    },
    {
      method: "DELETE",
      path: "/_devserver/holds",
      handle: ({ res }) => {
        holds.releaseAll();
        sendJson(res, 200, {});
      },
    },
    {
      method: "GET",
      path: "/_devserver/clock",
      handle: ({ res }) => {
        sendJson(res, 200, { now: clock.now() });
      },
    },
    {
      method: "POST",
      path: "/_devserver/clock",
      handle: async ({ req, res }) => {
        const body = await readJson(req, BODY_LIMIT);
        const advanceMs = (body as { advanceMs?: unknown } | null)?.advanceMs;
        if (typeof advanceMs !== "number" || !Number.isFinite(advanceMs) || advanceMs < 0) {
          throw new MatrixError(400, "M_INVALID_PARAM", "advanceMs must be a non-negative number");
        }
        clock.advance(advanceMs);
        sendJson(res, 200, { now: clock.now() });
      },
    },
  ]);
}
