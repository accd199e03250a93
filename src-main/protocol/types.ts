// Vocabulary shared by every part of the protocol core.

/** The two generations of the protocol (docs/protocol.md, "The two wire versions side by side"). */
export type WireVersion = "v2024" | "v2025";

/**
 * The role of the device that generated the QR code: `new_device` wants to be signed in,
 * `existing_device` offers to sign another device in.
 */
export type Intent = "new_device" | "existing_device";

/**
 * What the v2025 channel binds into each message's AAD (MSC4388): the homeserver base URL exactly as the QR
 * code carries it, the rendezvous session id, and the sequence token the message is sealed against (see
 * docs/protocol.md §3.2 for which token that is). The v2024 channel has no AAD and takes `undefined`.
 */
export interface RendezvousAad {
  readonly baseUrl: string;
  readonly rendezvousId: string;
  readonly sequenceToken: string;
}
