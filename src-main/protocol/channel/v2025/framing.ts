// Wire framing of v2025 channel messages (MSC4388 Establishment steps 4-5; docs/protocol.md §3.2): LoginInitiate is
// b64(enc || ct0), LoginOk is b64(n_r || ct1), every later message b64(ct). Base64 as everywhere in the channel:
// standard alphabet, padding optional (base64.ts).
import { decodeBase64 } from "../../base64";
import { ProtocolError } from "../../errors";
import { AEAD_TAG_LENGTH } from "./response-context";

/** A sealed message: at least the AEAD tag, and vodozemac rejects an empty message outright. */
export function decodeCiphertext(message: string): Uint8Array {
  if (message.length === 0) throw new ProtocolError("invalid_channel_message", "empty channel message");
  const bytes = decodeBase64(message, "invalid_channel_message");
  if (bytes.length < AEAD_TAG_LENGTH) {
    throw new ProtocolError("invalid_channel_message", "channel message shorter than its authentication tag");
  }
  return bytes;
}

/** Splits a handshake message into its fixed-size prefix (enc or n_r) and a non-empty ciphertext. */
export function decodePrefixedCiphertext(
  message: string,
  prefixLength: number,
): { readonly prefix: Uint8Array; readonly ciphertext: Uint8Array } {
  if (message.length === 0) throw new ProtocolError("invalid_channel_message", "empty channel message");
  const bytes = decodeBase64(message, "invalid_channel_message");
  // The handshake plaintexts are fixed non-empty strings, so anything up to prefix + tag cannot be one.
  if (bytes.length <= prefixLength + AEAD_TAG_LENGTH) {
    throw new ProtocolError("invalid_channel_message", "handshake message too short");
  }
  return { prefix: bytes.slice(0, prefixLength), ciphertext: bytes.slice(prefixLength) };
}
