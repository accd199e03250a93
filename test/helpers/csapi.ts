// Talking to the devserver's client-server API in conformance tests: devices and tokens from the test hook,
// requests that return status and parsed body, and keys signed the way Matrix signs JSON (Ed25519 over canonical
// JSON without `signatures` and `unsigned`). Signing uses the devserver's canonical JSON, which its own tests hold
// to the spec's vectors; the matrix-js-sdk / vodozemac suites check the same verifier against independent signers.
import { ed25519 } from "@noble/curves/ed25519.js";
import { canonicalJson, encodeUnpaddedBase64, type JsonObject } from "../../devserver/csapi/signing";
import type { DevserverOptions } from "../../devserver/index";

export const CLIENT_V3 = "/_matrix/client/v3";

/** What the client-server API suites run: test hooks (to mint tokens) and two users, alice and bob. */
export const CSAPI_DEVSERVER: DevserverOptions = { testHooks: true, users: ["alice:secret", "bob:secret"] };

/** What the devserver's `POST /_devserver/token` answers: a device and a token acting for it. */
export interface DeviceToken {
  readonly access_token: string;
  readonly user_id: string;
  readonly device_id: string;
}

/** Creates a device for `user` and a token for it (needs `testHooks: true`). */
export async function mintDeviceToken(
  server: { readonly baseUrl: string },
  user: string,
  deviceId?: string,
): Promise<DeviceToken> {
  const response = await fetch(`${server.baseUrl}/_devserver/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user, ...(deviceId === undefined ? {} : { device_id: deviceId }) }),
  });
  if (response.status !== 200) throw new Error(`/_devserver/token answered ${response.status}`);
  return (await response.json()) as DeviceToken;
}

export interface ApiResponse {
  readonly status: number;
  /** The parsed JSON body (undefined when empty). */
  readonly body: JsonObject;
}

/** A request under `/_matrix/client/v3`; a string body is sent as it is, anything else as JSON. */
export type Api = (method: string, path: string, body?: unknown) => Promise<ApiResponse>;

/** Requests with `Authorization: Bearer <token>`, or none when `token` is undefined. */
export function api(server: { readonly baseUrl: string }, token?: string): Api {
  return async (method, path, body) => {
    const response = await fetch(`${server.baseUrl}${path.startsWith("/_") ? "" : CLIENT_V3}${path}`, {
      method,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === "" ? undefined : JSON.parse(text)) as JsonObject };
  };
}

/** A Matrix error response's status and errcode, for `toEqual`. */
export function errorOf(response: ApiResponse): { status: number; errcode: unknown } {
  return { status: response.status, errcode: response.body.errcode };
}

/** An Ed25519 key pair that signs JSON objects as Matrix does. */
export class SigningKey {
  readonly seed: Uint8Array;
  readonly publicKey: string;

  constructor(seed: Uint8Array = ed25519.utils.randomSecretKey()) {
    this.seed = seed;
    this.publicKey = encodeUnpaddedBase64(ed25519.getPublicKey(seed));
  }

  /** A copy of `object` with this key's signature added under `signatures[signer][keyId]`. */
  sign<T extends JsonObject>(object: T, signer: string, keyId: string): T {
    const { signatures, unsigned: _unsigned, ...content } = object;
    const signature = encodeUnpaddedBase64(
      ed25519.sign(new TextEncoder().encode(canonicalJson(content)), this.seed),
    );
    const existing = (signatures ?? {}) as Record<string, Record<string, string>>;
    return {
      ...object,
      signatures: { ...existing, [signer]: { ...existing[signer], [keyId]: signature } },
    };
  }
}

/** A device's identity: its Ed25519 key (signs its device keys) and a Curve25519 key (here any 32 bytes). */
export class TestDevice {
  readonly signingKey = new SigningKey();
  readonly curve25519 = encodeUnpaddedBase64(ed25519.utils.randomSecretKey());

  constructor(
    readonly userId: string,
    readonly deviceId: string,
  ) {}

  get keyId(): string {
    return `ed25519:${this.deviceId}`;
  }

  /** `device_keys` for `/keys/upload`, self-signed unless `signed` is false. */
  deviceKeys(signed = true): JsonObject {
    const keys: JsonObject = {
      user_id: this.userId,
      device_id: this.deviceId,
      algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
      keys: { [`curve25519:${this.deviceId}`]: this.curve25519, [this.keyId]: this.signingKey.publicKey },
      signatures: {},
    };
    return signed ? this.signingKey.sign(keys, this.userId, this.keyId) : keys;
  }

  /** A signed one-time or fallback key object. */
  signedKey(key: string, fallback = false): JsonObject {
    return this.signingKey.sign({ key, ...(fallback ? { fallback: true } : {}) }, this.userId, this.keyId);
  }
}

/** A user's three cross-signing keys, the self-signing and user-signing ones signed by the master key. */
export class TestCrossSigning {
  readonly master = new SigningKey();
  readonly selfSigning = new SigningKey();
  readonly userSigning = new SigningKey();

  constructor(readonly userId: string) {}

  static keyId(key: SigningKey): string {
    return `ed25519:${key.publicKey}`;
  }

  private key(usage: string, key: SigningKey, signed: boolean): JsonObject {
    const object: JsonObject = {
      user_id: this.userId,
      usage: [usage],
      keys: { [TestCrossSigning.keyId(key)]: key.publicKey },
    };
    return signed ? this.master.sign(object, this.userId, TestCrossSigning.keyId(this.master)) : object;
  }

  masterKey(): JsonObject {
    return this.key("master", this.master, false);
  }

  selfSigningKey(signedByMaster = true): JsonObject {
    return this.key("self_signing", this.selfSigning, signedByMaster);
  }

  userSigningKey(signedByMaster = true): JsonObject {
    return this.key("user_signing", this.userSigning, signedByMaster);
  }

  /** The body of `/keys/device_signing/upload` with all three keys. */
  uploadBody(): JsonObject {
    return {
      master_key: this.masterKey(),
      self_signing_key: this.selfSigningKey(),
      user_signing_key: this.userSigningKey(),
    };
  }
}
