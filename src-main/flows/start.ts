// Starting a flow: which role, which side of the QR code, and the host and account it runs against. Returns
// the FlowController the hosts drive (snapshots out, commands in).
import type { FlowError } from "../../src-shared/errors";
import type { WireVersion } from "../../src-shared/flow";
import type { LoginMessageType } from "../protocol";
import { FlowController } from "./controller";
import { runExistingDevice } from "./existing-device";
import { steppedHost, type FlowHost } from "./host";
import { runNewDevice } from "./new-device";
import { DEFAULT_TIMINGS, type FlowTimings } from "./options";
import type { ExistingDeviceAccount, NewDeviceAccount } from "./ports";

interface CommonFlowOptions {
  readonly host: FlowHost;
  /** Whether this device shows the QR code (`generator`) or scans one (`scanner`). */
  readonly side: "generator" | "scanner";
  /** The version to show a QR code in, when the server offers it (default v2024: what phones speak). */
  readonly version?: WireVersion;
  readonly timings?: Partial<FlowTimings>;
  /** Plain http to loopback hosts only (the local devserver). */
  readonly allowInsecureHttp?: boolean;
  readonly flowId?: string;
  /** For tests: told each message type this device seals. */
  readonly onSeal?: (type: LoginMessageType) => void;
  readonly onError?: (error: unknown) => void;
}

export type StartFlowOptions =
  | (CommonFlowOptions & { readonly role: "existing_device"; readonly account: ExistingDeviceAccount })
  | (CommonFlowOptions & {
      readonly role: "new_device";
      readonly account: NewDeviceAccount;
      /** A fixed device ID instead of a fresh one. */
      readonly deviceId?: string;
    });

/** Errors after which the same flow may start over (`newQr`): everything but a cancel here or a setup problem. */
function canStartOver(error: FlowError): boolean {
  return error.retryable && error.code !== "cancelled_here";
}

export function startFlow(options: StartFlowOptions): FlowController {
  const timings: FlowTimings = {
    ...DEFAULT_TIMINGS,
    // Whoever shortens the person-acting polls (tests) shortens the watch with it unless they set both.
    ...(options.timings?.personActing === undefined ? {} : { watching: options.timings.personActing }),
    ...options.timings,
  };
  const version = options.version ?? "v2024";
  const host = steppedHost(options.host);
  const common = {
    host,
    timings,
    side: options.side,
    version,
    allowInsecureHttp: options.allowInsecureHttp === true,
    ...(options.onSeal === undefined ? {} : { onSeal: options.onSeal }),
  };
  const controller = new FlowController({
    flowId: options.flowId ?? crypto.randomUUID(),
    role: options.role,
    side: options.side,
    version,
    retryable: canStartOver,
    ...(options.onError === undefined ? {} : { onError: options.onError }),
    run: async (ctx) => {
      // The account's calls on the flow's behalf go to the flow's transcript, with its step, while this run lasts.
      const release = options.account.useFlowTranscript(host.transcript);
      try {
        return await (options.role === "existing_device"
          ? runExistingDevice(ctx, { ...common, account: options.account })
          : runNewDevice(ctx, {
              ...common,
              account: options.account,
              ...(options.deviceId === undefined ? {} : { deviceId: options.deviceId }),
            }));
      } finally {
        release();
      }
    },
  });
  controller.start();
  return controller;
}
