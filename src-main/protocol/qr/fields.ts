// The fixed-size field of a sign-in QR code. Its text fields follow the grammars in ../grammar.ts, which the
// decoder turns into ProtocolError `invalid_qr` and the encoder into a TypeError (our own bug).

/** Curve25519 public keys are 32 raw bytes in both wire versions (MSC4108, MSC4388 "QR code format"). */
export const PUBLIC_KEY_LENGTH = 32;
