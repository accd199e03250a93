// The additional authenticated data of every v2025 channel message (MSC4388 "Secure channel", AAD; docs/protocol.md
// §3.2): the homeserver base URL, the rendezvous session id and the sequence token the message is sealed
// against, each behind a length prefix. The widths and the base-URL bytes are profile choices because the MSC
// text and the rust-sdk branch disagree (docs/protocol.md §3.3).
import { concatBytes, utf8 } from "../../bytes";
import { lengthPrefixed } from "../../length-prefix";
import { OUR_V2025_PROFILE, type V2025Profile } from "../../v2025-profile";
import type { RendezvousAad } from "../types";

/**
 * Encodes `len(base_url) || base_url || u8(len(id)) || id || u8(len(token)) || token`.
 *
 * Our profile takes the base URL exactly as the QR code carries it (newest MSC4388 text); the rust-sdk branch
 * serialises it with a URL parser first, which adds "/" to a bare origin (`url_serialised`). A base URL that
 * does not parse throws TypeError in that form, as do fields longer than their length prefix allows.
 */
export function encodeRendezvousAad(
  aad: RendezvousAad,
  profile: V2025Profile = OUR_V2025_PROFILE,
): Uint8Array {
  const baseUrl = profile.aadBaseUrlForm === "url_serialised" ? new URL(aad.baseUrl).href : aad.baseUrl;
  return concatBytes(
    lengthPrefixed(utf8(baseUrl), profile.aadBaseUrlLength, "AAD base URL"),
    lengthPrefixed(utf8(aad.rendezvousId), "u8", "AAD rendezvous id"),
    lengthPrefixed(utf8(aad.sequenceToken), "u8", "AAD sequence token"),
  );
}

/**
 * The channel API keeps `aad` optional only because v2024 has none; on a v2025 channel forgetting it would
 * silently unbind messages from the session, so it is a programming error.
 */
export function requireAad(aad: RendezvousAad | undefined, profile: V2025Profile): Uint8Array {
  if (aad === undefined) throw new TypeError("the v2025 channel needs the rendezvous AAD for every message");
  return encodeRendezvousAad(aad, profile);
}
