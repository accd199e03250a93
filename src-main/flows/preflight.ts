// Which wire version to show a QR code in (docs/protocol.md §5, §8): what the homeserver offers (MSC4388
// discovery for v2025, `org.matrix.msc4108` in `/versions` for v2024; read in src-main/doctor/offer.ts, which the
// homeserver doctor shares), then the user's preference. Phones speak v2024 today, so that is the default wherever
// the server offers it. Scanning needs none of this: the QR decides.
import { FlowFailure, flowError } from "../../src-shared/errors";
import type { WireVersion } from "../../src-shared/flow";
import { rendezvousOffer } from "../doctor/offer";
import type { Runtime } from "../protocol";

export { rendezvousOffer, type VersionOffer } from "../doctor/offer";

export interface VersionChoice {
  readonly version: WireVersion;
  /** Every version this server offers (the user may switch among them while the QR is shown). */
  readonly available: readonly WireVersion[];
}

/** The version to show: the preferred one if offered, else the other; none offered is `server_unsupported`. */
export async function chooseVersion(
  runtime: Runtime,
  options: {
    readonly baseUrl: string;
    readonly preferred: WireVersion;
    readonly signal: AbortSignal;
    readonly accessToken?: (signal: AbortSignal) => Promise<string>;
    readonly allowInsecureHttp?: boolean;
  },
): Promise<VersionChoice> {
  const offer = await rendezvousOffer(runtime, options);
  const available: WireVersion[] = [];
  if (offer.v2024) available.push("v2024");
  if (offer.v2025 === true) available.push("v2025");
  const first = available.includes(options.preferred) ? options.preferred : available[0];
  if (first === undefined) {
    const reason = offer.v2025 === "needs_sign_in" ? "needs_sign_in" : "no_rendezvous";
    throw new FlowFailure(
      flowError("server_unsupported", `${options.baseUrl} offers no QR sign-in rendezvous`, reason),
    );
  }
  return { version: first, available };
}
