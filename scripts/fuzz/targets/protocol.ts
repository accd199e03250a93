// Fuzz targets of the protocol core's readers of peer bytes: the sign-in QR decoder (and the scanner's first step,
// which accepts a QR code and keys a channel to it), the login-message parser, and the secure channel's readers of
// the two handshake messages (docs/protocol.md §1, §3, §4). Every failure must be a ProtocolError.
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import {
  v2024LoginQr,
  v2025LoginQr,
  acceptScannedQr,
  createGeneratorChannel,
  createScannerChannel,
  decodeLoginQr,
  describeLoginMessage,
  encodeBase64,
  encodeLoginQr,
  parseLoginMessage,
  ProtocolError,
  scannerChannelForKey,
  serializeLoginMessage,
  type Intent,
  type RandomSource,
  type RendezvousAad,
  type WireVersion,
} from "../../../src-main/protocol/testing";
import { defineTarget, NETWORK_BOUND_MS, PARSER_BOUND_MS, type AnyTarget } from "../harness";
import { hostileJsonText, hostileString, mutatedBytes } from "../hostile";
import { invariant, typedOutcome } from "../oracle";

const PROTOCOL_ERRORS = [ProtocolError];
const VERSIONS: readonly WireVersion[] = ["v2024", "v2025"];
const ROLES: readonly Intent[] = ["new_device", "existing_device"];

const encoder = new TextEncoder();
const bytesOf = (text: string): Uint8Array => encoder.encode(text);

/** QR codes as the MSC examples and both SDKs write them (codec.test.ts has their sources). */
const PUBLISHED_QRS = [
  "TUFUUklYAgPYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtawBHaHR0cHM6Ly9yZW5kZXp2b3VzLmxhYi5lbGVtZW50LmRldi9lOGRhNjM1NS01NTBiLTRhMzItYTE5My0xNjE5ZDk4MzA2Njg",
  "TUFUUklYAgS0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PABaaHR0cHM6Ly9zeW5hcHNlLW9pZGMubGFiLmVsZW1lbnQuZGV2L19zeW5hcHNlL2NsaWVudC9yZW5kZXp2b3VzLzAxSFg5SzAwUTFINktQRDQ3RUc0RzFUM1hHACVodHRwczovL3N5bmFwc2Utb2lkYy5sYWIuZWxlbWVudC5kZXYv",
  "TUFUUklYAwDYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtayRlOGRhNjM1NS01NTBiLTRhMzItYTE5My0xNjE5ZDk4MzA2NjgAIGh0dHBzOi8vbWF0cml4LWNsaWVudC5tYXRyaXgub3Jn",
  "SU9fRUxFTUVOVF9NU0M0Mzg4AwHYhmhqshl7eA4wCp1KIUdIBwDXkp85qzG55RQ3AkjtawAkZThkYTYzNTUtNTUwYi00YTMyLWExOTMtMTYxOWQ5ODMwNjY4ACBodHRwczovL21hdHJpeC1jbGllbnQubWF0cml4Lm9yZw",
  "SU9fRUxFTUVOVF9NU0M0Mzg4AwG0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PBowMUhYOUswMFExSDZLUEQ0N0VHNEcxVDNYRwAkaHR0cHM6Ly9zeW5hcHNlLW9pZGMubGFiLmVsZW1lbnQuZGV2",
].map((text) => new Uint8Array(Buffer.from(text, "base64")));

const validQrBytes = fc.oneof(v2024LoginQr, v2025LoginQr).map((qr) => encodeLoginQr(qr));

/** QR bytes: valid ones damaged, random bytes behind each prefix, and random bytes. */
const qrBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 5, arbitrary: mutatedBytes(PUBLISHED_QRS) },
  {
    weight: 5,
    arbitrary: fc.tuple(validQrBytes, fc.nat()).chain(([bytes]) => mutatedBytes([bytes])),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          "MATRIX",
          "MATRIX\x02",
          "MATRIX\x02\x03",
          "MATRIX\x02\x04",
          "MATRIX\x03",
          "MATRIX\x03\x00",
          "MATRIX\x03\x01",
          "IO_ELEMENT_MSC4388\x03\x00",
          "IO_ELEMENT_MSC4388\x03\x01",
        ),
        fc.uint8Array({ maxLength: 600 }),
      )
      .map(([prefix, rest]) => Uint8Array.from([...bytesOf(prefix), ...rest])),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: validQrBytes },
);

const qrDecode = defineTarget({
  name: "qr.decode",
  area: "QR decoder",
  weight: 20,
  boundMs: PARSER_BOUND_MS,
  input: qrBytes,
  run: (bytes) => {
    let qr;
    try {
      qr = decodeLoginQr(bytes);
    } catch (error) {
      return typedOutcome(error, PROTOCOL_ERRORS);
    }
    // What decodes writes back byte for byte (the codec keeps the widths it read).
    invariant(isDeepStrictEqual(encodeLoginQr(qr), bytes), "a decoded QR code does not encode to its bytes");
    return "ok";
  },
});

/** The scanner's first step: accept in a role (intent check) and key a channel to the QR code. */
const qrScan = defineTarget({
  name: "qr.scan",
  area: "QR decoder",
  weight: 6,
  boundMs: PARSER_BOUND_MS,
  input: fc.tuple(qrBytes, fc.constantFrom(...ROLES)),
  run: ([bytes, role]) => {
    try {
      const scanned = acceptScannedQr(bytes, role);
      invariant(scanned.qr.intent !== role, "a QR code of our own role was accepted");
      createScannerChannel(scanned);
      return "ok";
    } catch (error) {
      return typedOutcome(error, PROTOCOL_ERRORS);
    }
  },
});

// --- login messages ---------------------------------------------------------------------------------------

const KEY = "2IZoarIZe3gOMAqdSiFHSAcA15KfOasxueUUNwJI7Ws";
const MESSAGE_SEEDS: Record<WireVersion, readonly unknown[]> = {
  v2024: [
    {
      type: "m.login.protocols",
      protocols: ["device_authorization_grant"],
      homeserver: "https://hs.example/",
    },
    { type: "m.login.protocols", protocols: ["device_authorization_grant"], homeserver: "matrix.org" },
  ],
  v2025: [
    { type: "m.login.protocols", protocols: ["device_authorization_grant"], base_url: "https://hs.example" },
  ],
};
const COMMON_MESSAGES: readonly unknown[] = [
  {
    type: "m.login.protocol",
    protocol: "device_authorization_grant",
    device_authorization_grant: {
      verification_uri: "https://auth.example/link",
      verification_uri_complete: "https://auth.example/link?code=ABCDEF",
    },
    device_id: "ABCDEFGHIJ",
  },
  { type: "m.login.protocol", protocol: "org.example.other", device_id: "ABCDEFGHIJ+/xyz" },
  { type: "m.login.protocol_accepted" },
  { type: "m.login.success" },
  { type: "m.login.declined" },
  { type: "m.login.failure", reason: "user_cancelled", homeserver: "https://hs.example" },
  { type: "m.login.failure", reason: "something_new" },
  {
    type: "m.login.secrets",
    cross_signing: { master_key: KEY, self_signing_key: KEY, user_signing_key: KEY },
    backup: { algorithm: "m.megolm_backup.v1.curve25519-aes-sha2", key: KEY, backup_version: "1" },
  },
  {
    type: "m.login.secrets",
    cross_signing: { master_key: KEY, self_signing_key: KEY, user_signing_key: KEY },
    backup: null,
  },
];

/**
 * The plaintext of a login message is what the channel opened from one rendezvous body, which the clients read up
 * to 64 KiB: no longer text reaches the parser.
 */
const MAX_PLAINTEXT = 65_536;

const messageText = fc.constantFrom(...VERSIONS).chain((version) =>
  fc.tuple(
    fc.constant(version),
    fc.oneof(
      {
        weight: 9,
        arbitrary: hostileJsonText([...MESSAGE_SEEDS[version], ...COMMON_MESSAGES], MAX_PLAINTEXT),
      },
      { weight: 1, arbitrary: hostileString.map((text) => text.slice(0, MAX_PLAINTEXT)) },
    ),
  ),
);

const messagesParse = defineTarget({
  name: "messages.parse",
  area: "login messages",
  weight: 20,
  boundMs: PARSER_BOUND_MS,
  input: messageText,
  run: ([version, text]) => {
    let message;
    try {
      message = parseLoginMessage(text, version);
    } catch (error) {
      return typedOutcome(error, PROTOCOL_ERRORS);
    }
    const description = describeLoginMessage(message);
    invariant(description.type === message.type, "the description names another type");
    // What we read either writes back (and reads as the same message) or is refused as ours to send, typed.
    let written: string;
    try {
      written = serializeLoginMessage(message, version);
    } catch (error) {
      typedOutcome(error, PROTOCOL_ERRORS);
      return "ok";
    }
    invariant(
      isDeepStrictEqual(parseLoginMessage(written, version), message),
      "a message does not survive a round trip",
    );
    return "ok";
  },
});

// --- the secure channel's handshake readers ------------------------------------------------------------------

/** A fixed RandomSource: every channel of a target gets the same keys, so one valid message serves every input. */
function fixedRandom(seed: number): RandomSource {
  return (length) => Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

const AAD: RendezvousAad = {
  baseUrl: "https://hs.example",
  rendezvousId: "01HX9K00Q1H6KPD47EG4G1T3XG",
  sequenceToken: "token-1",
};

interface HandshakeSeeds {
  readonly initiate: string;
  readonly ok: string;
}

/** A valid LoginInitiate for the fixed generator, and the generator's valid LoginOk for the fixed scanner. */
async function handshakeSeeds(version: WireVersion): Promise<HandshakeSeeds> {
  const aad = version === "v2025" ? AAD : undefined;
  const generator = createGeneratorChannel(version, { random: fixedRandom(1) });
  const scanner = scannerChannelForKey(version, {
    peerPublicKey: generator.publicKey,
    random: fixedRandom(2),
  });
  const initiate = await scanner.sealInitiate(aad);
  const pending = await generator.openInitiate(initiate, aad);
  const { okMessage } = await pending.sealOk(aad);
  return { initiate, ok: okMessage };
}

const seeds = new Map<WireVersion, Promise<HandshakeSeeds>>();
const seedsFor = (version: WireVersion): Promise<HandshakeSeeds> => {
  let found = seeds.get(version);
  if (found === undefined) {
    found = handshakeSeeds(version);
    seeds.set(version, found);
  }
  return found;
};

/** A handshake message as a peer could write it: the valid one damaged, valid base64 of anything, any text. */
const handshakeText: fc.Arbitrary<{ valid: boolean; damage: readonly [number, string][]; text: string }> =
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .array(
          fc.tuple(fc.nat(), fc.constantFrom("", "A", "/", "+", "=", "|", "||", " ", "\u00e9", "-", "_")),
          {
            minLength: 1,
            maxLength: 3,
          },
        )
        .map((damage) => ({ valid: true, damage, text: "" })),
    },
    {
      weight: 2,
      arbitrary: fc
        .uint8Array({ maxLength: 200 })
        .map((bytes) => ({ valid: false, damage: [], text: encodeBase64(bytes) })),
    },
    { weight: 2, arbitrary: hostileString.map((text) => ({ valid: false, damage: [], text })) },
  );

/** The valid message with each `[at, replacement]` replacing one character. */
function damaged(valid: string, damage: readonly (readonly [number, string])[]): string {
  return damage.reduce((text, [at, replacement]) => {
    const i = at % (text.length + 1);
    return `${text.slice(0, i)}${replacement}${text.slice(i + 1)}`;
  }, valid);
}

const channelInitiate = defineTarget({
  name: "channel.openInitiate",
  area: "secure channel",
  weight: 1,
  // Each input includes a fresh key agreement and seal (X25519 and HPKE in pure JS), not only the read.
  boundMs: NETWORK_BOUND_MS,
  input: fc.tuple(fc.constantFrom(...VERSIONS), handshakeText),
  run: async ([version, message]) => {
    const { initiate } = await seedsFor(version);
    const text = message.valid ? damaged(initiate, message.damage) : message.text;
    const generator = createGeneratorChannel(version, { random: fixedRandom(1) });
    try {
      await generator.openInitiate(text, version === "v2025" ? AAD : undefined);
      return "ok";
    } catch (error) {
      return typedOutcome(error, PROTOCOL_ERRORS);
    }
  },
});

const channelOk = defineTarget({
  name: "channel.openOk",
  area: "secure channel",
  weight: 1,
  // Each input includes a fresh key agreement and seal (X25519 and HPKE in pure JS), not only the read.
  boundMs: NETWORK_BOUND_MS,
  input: fc.tuple(fc.constantFrom(...VERSIONS), handshakeText),
  run: async ([version, message]) => {
    const { ok } = await seedsFor(version);
    const text = message.valid ? damaged(ok, message.damage) : message.text;
    const aad = version === "v2025" ? AAD : undefined;
    const generatorKey = createGeneratorChannel(version, { random: fixedRandom(1) }).publicKey;
    const scanner = scannerChannelForKey(version, { peerPublicKey: generatorKey, random: fixedRandom(2) });
    try {
      await scanner.sealInitiate(aad);
      const unconfirmed = await scanner.openOk(text, aad);
      invariant(/^\d\d$/.test(unconfirmed.checkCode), "the check code is not two digits");
      return "ok";
    } catch (error) {
      return typedOutcome(error, PROTOCOL_ERRORS);
    }
  },
});

export const PROTOCOL_TARGETS: readonly AnyTarget[] = [
  qrDecode,
  qrScan,
  messagesParse,
  channelInitiate,
  channelOk,
];
