// Which wire version to show a QR code in (docs/protocol.md §5, §8): what the homeserver offers (MSC4388
// discovery for v2025, `org.matrix.msc4108` in `/versions` for v2024), then the user's preference. Phones speak
// v2024 today, so that is the default wherever the server offers it. Scanning needs none of this: the QR decides.
import { FlowFailure, flowError } from "../../src-shared/errors";
import type { WireVersion } from "../../src-shared/flow";
import { httpEntry } from "../../src-shared/transcript";
import { discoverV2025Rendezvous, isRendezvousError, type Runtime } from "../protocol";

export interface VersionChoice {
  readonly version: WireVersion;
  /** Every version this server offers (the user may switch among them while the QR is shown). */
  readonly available: readonly WireVersion[];
}

export interface VersionOffer {
  readonly v2024: boolean;
  /** `needs_sign_in`: served, but only for a signed-in user and we had no token. */
  readonly v2025: boolean | "needs_sign_in";
}

/** What the homeserver at `baseUrl` offers. Network failures throw; "not offered" is an answer. */
export async function rendezvousOffer(
  runtime: Runtime,
  options: {
    readonly baseUrl: string;
    readonly signal: AbortSignal;
    readonly accessToken?: (signal: AbortSignal) => Promise<string>;
    readonly allowInsecureHttp?: boolean;
  },
): Promise<VersionOffer> {
  const [v2024, v2025] = await Promise.all([
    offersMsc4108(runtime, options.baseUrl, options.signal),
    offersMsc4388(runtime, options),
  ]);
  return { v2024, v2025 };
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

async function offersMsc4388(
  runtime: Runtime,
  options: {
    readonly baseUrl: string;
    readonly signal: AbortSignal;
    readonly accessToken?: (signal: AbortSignal) => Promise<string>;
    readonly allowInsecureHttp?: boolean;
  },
): Promise<boolean | "needs_sign_in"> {
  const discover = async (accessToken?: string): Promise<boolean> => {
    const found = await discoverV2025Rendezvous({
      runtime,
      signal: options.signal,
      baseUrl: options.baseUrl,
      allowInsecureHttp: options.allowInsecureHttp === true,
      ...(accessToken === undefined ? {} : { accessToken }),
    });
    return found.served && found.createAvailable;
  };
  try {
    return await discover();
  } catch (error) {
    if (isRendezvousError(error, "unauthorized")) {
      if (options.accessToken === undefined) return "needs_sign_in";
      return discover(await options.accessToken(options.signal));
    }
    if (isRendezvousError(error, "forbidden") || isRendezvousError(error, "not_supported")) return false;
    throw error;
  }
}

/** `GET /_matrix/client/versions` lists `org.matrix.msc4108` when the v2024 rendezvous is served. */
async function offersMsc4108(runtime: Runtime, baseUrl: string, signal: AbortSignal): Promise<boolean> {
  const url = `${baseUrl.replace(/\/+$/, "")}/_matrix/client/versions`;
  const time = runtime.now();
  let response: Response;
  try {
    response = await runtime.fetch(url, { method: "GET", signal, redirect: "error", cache: "no-store" });
  } catch (error) {
    runtime.transcript(httpEntry({ layer: "matrix", method: "GET", url, time, error: "network" }));
    throw error;
  }
  const text = await response.text();
  runtime.transcript(
    httpEntry({
      layer: "matrix",
      method: "GET",
      url,
      time,
      status: response.status,
      responseBytes: text.length,
    }),
  );
  if (!response.ok) return false;
  try {
    const body = JSON.parse(text) as { unstable_features?: Record<string, unknown> };
    return body.unstable_features?.["org.matrix.msc4108"] === true;
  } catch {
    return false;
  }
}
