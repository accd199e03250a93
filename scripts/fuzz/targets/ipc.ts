// Fuzz targets of the contract's readers on both hosts' adapters (docs/ARCHITECTURE.md, the hosts): the Electron
// host's IPC handlers (`serveContractOverIpc`, one channel per command, any number of payloads of any shape from
// any sender), the browser host's WebSocket frame reader (`readInvokeFrame`, any text) with the page's reader of
// the host's answer (`readHostFrame`), and the event reader both renderers run (`readEvent`). Nothing here may
// throw: every refusal is a contract error answer, plain data whose message is bounded and free of raw control
// characters, and whatever a host answers must pass the page's own reader.
import fc from "fast-check";
import type { IpcMainInvokeEvent } from "electron";
import {
  COMMANDS,
  EVENTS,
  readEvent,
  readHostFrame,
  readInvokeFrame,
  readOutcome,
  type CommandName,
  type CommandOutcome,
  type EventName,
  type HostFrame,
} from "../../../src-shared/contract";
import { COMMAND_NAMES, commandChannel, EVENT_NAMES } from "../../../src-shared/contract-names";
import { toFlowError } from "../../../src-shared/errors";
import { serveContractOverIpc } from "../../../src-main/electron/ipc";
import { invalid, oversize, valid } from "../../../test/shell/contract-arbitraries";
import { defineTarget, PARSER_BOUND_MS, type AnyTarget } from "../harness";
import { cloneableOddity, hostileJson, hostileJsonText, hostileKey, hostileString } from "../hostile";
import { checkMessageHygiene, FuzzFailure, invariant } from "../oracle";

/** A payload for `schema`: valid ones, the ways it can be wrong, and anything at all. */
function payloadFor(schema: Parameters<typeof valid>[0], { json = false } = {}): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: valid(schema) },
    { weight: 3, arbitrary: invalid(schema) },
    { weight: 1, arbitrary: oversize(schema) },
    { weight: 2, arbitrary: hostileJson },
    // What IPC's structured clone carries and JSON cannot (cycles, Maps, typed arrays...): not in a JSON frame.
    { weight: json ? 0 : 1, arbitrary: cloneableOddity },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid(schema), hostileKey, hostileJson)
        .map(([value, key, extra]) =>
          typeof value === "object" && value !== null ? { ...value, [key]: extra } : value,
        ),
    },
  );
}

/** The label of a contract answer after checking its error's message. */
function contractOutcome(where: string, outcome: CommandOutcome<CommandName>): string {
  if (outcome.ok) return "ok";
  if ("contractError" in outcome) {
    checkMessageHygiene(`${where} contract error`, outcome.contractError.message);
    return `contract:${outcome.contractError.code}`;
  }
  checkMessageHygiene(`${where} engine error`, outcome.error.message);
  return `engine:${outcome.error.code}`;
}

// --- the Electron host: IPC handlers ----------------------------------------------------------------------------

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>;
const handlers = new Map<string, Handler>();
const TRUSTED = { senderFrame: { url: "app://renderer/index.html" } } as unknown as IpcMainInvokeEvent;
const STRANGER = { senderFrame: { url: "https://evil.example/" } } as unknown as IpcMainInvokeEvent;

serveContractOverIpc({
  ipcMain: {
    handle: (channel: string, handler: Handler) => {
      handlers.set(channel, handler);
    },
  },
  // The engine answers every valid request with one of its own errors: what the adapter does with a request, not
  // what the engine does, is fuzzed here (the engine's commands are the flows lane's).
  engine: () =>
    Promise.resolve({
      invoke: () => Promise.resolve({ ok: false, error: toFlowError(new Error("not in this test")) }),
      subscribe: () => () => undefined,
      close: () => Promise.resolve(),
    }) as never,
  isTrustedSender: (event) => event === TRUSTED,
});

interface IpcInput {
  readonly name: CommandName;
  readonly trusted: boolean;
  readonly args: readonly unknown[];
}

const ipcInput: fc.Arbitrary<IpcInput> = fc
  .constantFrom(...(COMMAND_NAMES as readonly CommandName[]))
  .chain((name) =>
    fc.record({
      name: fc.constant(name),
      trusted: fc.oneof(
        { weight: 9, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
      args: fc.oneof(
        { weight: 8, arbitrary: payloadFor(COMMANDS[name].request).map((payload) => [payload]) },
        { weight: 1, arbitrary: fc.array(payloadFor(COMMANDS[name].request), { maxLength: 3 }) },
      ),
    }),
  );

const electronIpc = defineTarget<IpcInput>({
  name: "ipc.electron",
  area: "IPC contract",
  weight: 3,
  boundMs: PARSER_BOUND_MS,
  input: ipcInput,
  async run({ name, trusted, args }) {
    const handler = handlers.get(commandChannel(name));
    invariant(handler !== undefined, `no handler on ${commandChannel(name)}`);
    const answer = await handler(trusted ? TRUSTED : STRANGER, ...args);
    // What crosses back to the page: plain data (IPC's structured clone) that the page's own reader accepts.
    const cloned = structuredClone(answer);
    const read = readOutcome(name, cloned);
    invariant(
      read.ok || !("contractError" in read) || read.contractError.code !== "invalid_response",
      `the page cannot read the answer to ${name}: ${JSON.stringify(answer).slice(0, 300)}`,
    );
    const label = contractOutcome(name, read);
    invariant(
      trusted || label === "contract:forbidden_sender",
      "a stranger's call got past the sender check",
    );
    return label;
  },
});

// --- the browser host: WebSocket frames ------------------------------------------------------------------------

const invokeFrames: fc.Arbitrary<string> = fc
  .constantFrom(...(COMMAND_NAMES as readonly CommandName[]))
  .chain((name) =>
    fc.tuple(
      fc.oneof(fc.nat(), fc.constant(2 ** 31), fc.constant(-1), fc.constant(1.5), hostileJson),
      payloadFor(COMMANDS[name].request, { json: true }),
      fc.oneof({ weight: 6, arbitrary: fc.constant<string>(name) }, { weight: 1, arbitrary: hostileString }),
    ),
  )
  .map(([id, request, name]) => JSON.stringify({ type: "invoke", id, name, request }));

const frameText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: invokeFrames },
  {
    weight: 3,
    arbitrary: invokeFrames.chain((text) => hostileJsonText([JSON.parse(text) as unknown], 70_000)),
  },
  { weight: 1, arbitrary: hostileString },
);

const browserFrame = defineTarget<string>({
  name: "ipc.browserFrame",
  area: "IPC contract",
  weight: 5,
  boundMs: PARSER_BOUND_MS,
  input: frameText,
  run(text) {
    const read = readInvokeFrame(text);
    if (read.ok) return "ok";
    checkMessageHygiene("refusal", read.error.message);
    // The host's answer, as the browser host sends it, must read back on the page as a well-formed frame.
    const frame: HostFrame =
      read.id === undefined
        ? { type: "refused", error: read.error }
        : { type: "result", id: read.id, outcome: { ok: false, contractError: read.error } };
    const back = readHostFrame(JSON.stringify(frame));
    if (!back.ok) {
      throw new FuzzFailure(
        "broken_invariant",
        `the page refuses the host's own refusal: ${back.error.message} (${JSON.stringify(frame).slice(0, 300)})`,
      );
    }
    return `contract:${read.error.code}`;
  },
});

const hostFrame = defineTarget<string>({
  name: "ipc.pageFrame",
  area: "IPC contract",
  weight: 3,
  boundMs: PARSER_BOUND_MS,
  input: fc.oneof(
    hostileJsonText(
      [
        { type: "result", id: 1, outcome: { ok: true, value: {} } },
        { type: "event", name: EVENT_NAMES[0], payload: {} },
        { type: "refused", error: { code: "invalid_request", message: "x" } },
      ],
      70_000,
    ),
    hostileString,
  ),
  run(text) {
    const read = readHostFrame(text);
    if (read.ok) return "ok";
    checkMessageHygiene("page frame refusal", read.error.message);
    return `contract:${read.error.code}`;
  },
});

// --- events, as each renderer reads them ------------------------------------------------------------------------

const eventInput = fc
  .constantFrom(...(EVENT_NAMES as readonly EventName[]))
  .chain((name) => fc.tuple(fc.constant(name), payloadFor(EVENTS[name])));

const events = defineTarget<readonly [EventName, unknown]>({
  name: "ipc.events",
  area: "IPC contract",
  weight: 2,
  boundMs: PARSER_BOUND_MS,
  input: eventInput,
  run([name, payload]) {
    const read = readEvent(name, payload);
    if (read.ok) return "ok";
    checkMessageHygiene("event refusal", read.error.message);
    return `contract:${read.error.code}`;
  },
});

export const IPC_TARGETS: readonly AnyTarget[] = [electronIpc, browserFrame, hostFrame, events];
