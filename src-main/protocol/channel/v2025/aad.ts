// The additional authenticated data of every v2025 channel message (MSC4388 "Secure channel", AAD; PROTOCOL.md
// §3.2): the homeserver base URL, the rendezvous session id and the sequence token the message is sealed
// against, each behind a length prefix. The widths and the base-URL bytes are profile choices because the MSC
// text and the rust-sdk branch disagree (PROTOCOL.md §3.3).
import { concatBytes, utf8 } from "../../bytes";
import { OUR_V2025_PROFILE, type LengthWidth, type V2025Profile } from "../../v2025-profile";
import type { RendezvousAad } from "../types";

const MAX_LENGTH: Readonly<Record<LengthWidth, number>> = { u8: 0xff, u16: 0xffff };

/** The length prefix of one AAD field; a field too long for its width is our caller's bug. */
function lengthPrefixed(field: string, bytes: Uint8Array, width: LengthWidth): Uint8Array {
  if (bytes.length > MAX_LENGTH[width]) {
    throw new TypeError(`AAD ${field} is ${bytes.length} bytes, too long for a ${width} length`);
  }
  const prefix =
    width === "u8" ? Uint8Array.of(bytes.length) : Uint8Array.of(bytes.length >> 8, bytes.length & 0xff);
  return concatBytes(prefix, bytes);
}

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
    lengthPrefixed("base URL", utf8(baseUrl), profile.aadBaseUrlLength),
    lengthPrefixed("rendezvous id", utf8(aad.rendezvousId), "u8"),
    lengthPrefixed("sequence token", utf8(aad.sequenceToken), "u8"),
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
