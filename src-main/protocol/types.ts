// Vocabulary shared by every part of the protocol core.

/** The two generations of the protocol (PROTOCOL.md §0.1). */
export type WireVersion = "v2024" | "v2025";

/**
 * The role of the device that generated the QR code: `new_device` wants to be signed in,
 * `existing_device` offers to sign another device in.
 */
export type Intent = "new_device" | "existing_device";
