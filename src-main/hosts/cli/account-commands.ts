// The account commands of the command line, each one engine command on the profile: `login` (the browser
// sign-in, authorization code with PKCE through a loopback redirect), `bootstrap` (set up encryption; the recovery
// key is shown this once), `recover` (the recovery key from stdin), `devices`, `logout` and `whoami`. Human mode
// prints the result on stdout; --json prints one object per line and last {"type":"exit","code":...}.
import { FlowFailure, flowError, type FlowErrorCode } from "../../../src-shared/errors";
import type {
  AccountState,
  CommandName as ContractCommand,
  CommandRequest,
  CommandResponse,
} from "../../../src-shared/contract";
import type { Engine } from "../../engine";
import { stringOption, UsageError, type CommandName, type CommonArgs } from "./args";
import { EXIT, outcomeError, type CliContext } from "./context";
import { openEngine } from "./engine-session";
import { InputLines } from "./io";

type Values = Readonly<Record<string, string | boolean | undefined>>;

/** Runs `body` with the profile's engine open, and closes it (saving the profile) before the exit line. */
async function withEngine(
  context: CliContext,
  common: CommonArgs,
  body: (engine: Engine) => Promise<FlowErrorCode | "ok">,
): Promise<number> {
  const engine = await openEngine({ common, streams: context.streams, out: context.out });
  let code: FlowErrorCode | "ok";
  try {
    code = await body(engine);
  } finally {
    await engine.close();
  }
  context.out.line({ type: "exit", code });
  return code === "ok" ? EXIT.ok : EXIT.failed;
}

async function call<N extends ContractCommand>(
  engine: Engine,
  name: N,
  request: CommandRequest<N>,
): Promise<CommandResponse<N>> {
  const outcome = await engine.invoke(name, request);
  if (!outcome.ok) throw new FlowFailure(outcomeError(outcome));
  return outcome.value;
}

function requireSignedIn(state: AccountState): void {
  if (state.status !== "signed_in") {
    throw new FlowFailure(
      flowError(
        "signed_out",
        state.signedOutReason ?? `profile ${state.profile} is not signed in`,
        "not_signed_in",
      ),
    );
  }
}

function yesNo(value: boolean | undefined): string {
  return value === true ? "yes" : "no";
}

/** The account as a few lines for a person. */
function accountLines(state: AccountState): string[] {
  if (state.status !== "signed_in") {
    return [
      `Not signed in (profile ${state.profile})${state.signedOutReason === undefined ? "" : `: ${state.signedOutReason}`}`,
    ];
  }
  const keys = {
    ready: "on this device (it can approve new devices)",
    missing_keys: "not on this device (run recover with the recovery key)",
    not_set_up: "not set up (run bootstrap)",
  } as const;
  return [
    state.userId ?? "",
    `  device           ${state.deviceId ?? ""}`,
    `  homeserver       ${state.homeserver ?? ""}`,
    `  verified         ${yesNo(state.verified)}`,
    `  encryption keys  ${state.crossSigning === undefined ? "unknown" : keys[state.crossSigning]}`,
    `  key backup       ${yesNo(state.backup)}`,
    `  profile          ${state.profile}`,
  ];
}

function printAccount(context: CliContext, state: AccountState): void {
  context.out.line({ type: "account", account: state });
  for (const line of accountLines(state)) context.out.result(line);
}

export function runAccountCommand(
  context: CliContext,
  command: Exclude<CommandName, "sign-in" | "link" | "doctor">,
  common: CommonArgs,
  values: Values,
): Promise<number> {
  switch (command) {
    case "login":
      return login(context, common, values);
    case "bootstrap":
      return withEngine(context, common, async (engine) => {
        requireSignedIn(await call(engine, "account.get", {}));
        const { recoveryKey } = await call(engine, "account.bootstrap", {});
        context.out.line({ type: "recoveryKey", recoveryKey });
        context.out.say(
          "Encryption is set up. Your recovery key is below: write it down and keep it safe. It is shown only this once; with it, another device of yours gets your encryption keys (recover).",
        );
        context.out.result(recoveryKey);
        return "ok";
      });
    case "recover":
      return recover(context, common);
    case "devices":
      return withEngine(context, common, async (engine) => {
        requireSignedIn(await call(engine, "account.get", {}));
        const { devices } = await call(engine, "account.devices", {});
        context.out.line({ type: "devices", devices });
        const width = Math.max(9, ...devices.map((device) => device.deviceId.length));
        for (const device of devices) {
          const seen =
            device.lastSeenTs === undefined ? "" : new Date(device.lastSeenTs).toISOString().slice(0, 16);
          context.out.result(
            `${device.current ? "*" : " "} ${device.deviceId.padEnd(width)}  ${(device.verified ? "verified" : "unverified").padEnd(10)}  ${seen.padEnd(16)}  ${device.displayName ?? ""}`.trimEnd(),
          );
        }
        return "ok";
      });
    case "logout":
      return withEngine(context, common, async (engine) => {
        const before = await call(engine, "account.get", {});
        requireSignedIn(before);
        const after = await call(engine, "account.signOut", {});
        context.out.line({ type: "account", account: after });
        context.out.result(`Signed out ${before.userId ?? ""} (device ${before.deviceId ?? ""}).`);
        return "ok";
      });
    case "whoami":
      return withEngine(context, common, async (engine) => {
        const state = await call(engine, "account.get", {});
        printAccount(context, state);
        return state.status === "signed_in" ? "ok" : "signed_out";
      });
  }
}

async function login(context: CliContext, common: CommonArgs, values: Values): Promise<number> {
  const homeserver = stringOption(values, "homeserver");
  if (homeserver === undefined) throw new UsageError("give --homeserver <server>", "login");
  return withEngine(context, common, async (engine) => {
    const before = await call(engine, "account.get", {});
    if (before.status === "signed_in") {
      throw new UsageError(
        `this profile is signed in already (${before.userId ?? "?"}); use another --profile, or logout first`,
        "login",
      );
    }
    context.out.say(`Signing in on ${homeserver} in your browser…`);
    const state = await call(engine, "account.login", { homeserver });
    printAccount(context, state);
    return "ok";
  });
}

async function recover(context: CliContext, common: CommonArgs): Promise<number> {
  return withEngine(context, common, async (engine) => {
    requireSignedIn(await call(engine, "account.get", {}));
    const input = new InputLines(context.streams, { prompts: !context.out.json });
    let line: string | undefined;
    try {
      input.prompt("Recovery key: ");
      line = await input.next();
    } finally {
      input.close();
    }
    const recoveryKey = readRecoveryKey(line);
    if (recoveryKey === undefined) throw new UsageError("no recovery key on stdin", "recover");
    const state = await call(engine, "account.recover", { recoveryKey });
    printAccount(context, state);
    return "ok";
  });
}

/** The line as typed, or `{"recoveryKey": "..."}` (the contract's request) from a program. */
function readRecoveryKey(line: string | undefined): string | undefined {
  const text = line?.trim();
  if (text === undefined || text === "") return undefined;
  if (!text.startsWith("{")) return text;
  try {
    const value = JSON.parse(text) as { recoveryKey?: unknown };
    return typeof value.recoveryKey === "string" ? value.recoveryKey : undefined;
  } catch {
    return undefined;
  }
}
