// The options of `sign-in` and `link`, checked before anything loads: which side of the QR code this device is
// on, the wire version, where the QR code comes from or also goes to, and where the transcript goes.
import type { WireVersion } from "../../../src-shared/flow";
import { stringOption, UsageError, type CommandName } from "./args";

export interface FlowArgs {
  readonly kind: "sign_in" | "link";
  readonly side: "show" | "scan";
  readonly version?: WireVersion;
  readonly homeserver?: string;
  readonly scan?: string;
  readonly png?: string;
  readonly transcript?: string;
}

export function readFlowArgs(
  command: Extract<CommandName, "sign-in" | "link">,
  values: Readonly<Record<string, string | boolean | undefined>>,
): FlowArgs {
  const scan = stringOption(values, "scan");
  const show = values.show === true;
  if (show && scan !== undefined) throw new UsageError("give --show or --scan, not both", command);
  if (!show && scan === undefined) throw new UsageError("give --show or --scan <source>", command);
  const version = stringOption(values, "version");
  if (version !== undefined && version !== "v2024" && version !== "v2025") {
    throw new UsageError(
      `--version must be v2024 or v2025, not ${JSON.stringify(version.slice(0, 20))}`,
      command,
    );
  }
  const png = stringOption(values, "png");
  if (png !== undefined && !show) throw new UsageError("--png goes with --show", command);
  const homeserver = stringOption(values, "homeserver");
  const transcript = stringOption(values, "transcript");
  return {
    kind: command === "sign-in" ? "sign_in" : "link",
    side: show ? "show" : "scan",
    ...(version === undefined ? {} : { version }),
    ...(homeserver === undefined ? {} : { homeserver }),
    ...(scan === undefined ? {} : { scan }),
    ...(png === undefined ? {} : { png }),
    ...(transcript === undefined ? {} : { transcript }),
  };
}
