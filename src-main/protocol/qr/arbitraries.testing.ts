// Test support only (the .testing suffix lets ESLint keep product code from importing it): fast-check
// generators of valid sign-in QR values, shared by the property tests and the vodozemac interop tests.
import fc from "fast-check";
import { utf8 } from "../bytes";
import { OPAQUE_ID } from "../grammar";
import type { V2024LoginQr, V2025LoginQr } from "./types";

// Host-name labels that every URL parser takes as they are: "xn--" labels would go through punycode decoding.
const label = fc
  .stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/)
  .filter((l) => !l.startsWith("xn--"));
// The last label is alphabetic so the host never reads as an IPv4 address.
const dnsName = fc
  .tuple(fc.array(label, { minLength: 0, maxLength: 3 }), fc.stringMatching(/^[a-z]{2,6}$/))
  .map(([labels, tld]) => [...labels, tld].join("."));
const ipv4 = fc.ipV4();
const ipv6 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
  .map((groups) => `[${groups.map((g) => g.toString(16)).join(":")}]`);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const hostPort = fc
  .tuple(fc.oneof({ weight: 4, arbitrary: dnsName }, ipv4, ipv6), port)
  .map(([host, p]) => (p === undefined ? host : `${host}:${p}`));

const segment = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,15}$/) },
  fc.constantFrom("%20", "%C3%A9", "é", "ü-ß", "_matrix", "client", "v1"),
);
// Sometimes long enough that only a u16 length can carry it.
const longSegment = fc.integer({ min: 200, max: 400 }).map((n) => "r".repeat(n));
const path = fc
  .tuple(
    fc.array(segment, { maxLength: 5 }),
    fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, longSegment),
  )
  .map(([segments, long]) => [...segments, ...(long === undefined ? [] : [long])]);
const query = fc.option(fc.stringMatching(/^[a-z]{1,5}=[A-Za-z0-9]{0,8}$/), { nil: undefined });

/** Homeserver base URLs as a URL serialiser would write them (scheme://host[:port][/path]). */
export const baseUrl = fc
  .tuple(fc.constantFrom("https", "http"), hostPort, path, fc.boolean())
  .map(([scheme, host, segments, slash]) => {
    const pathText = segments.length > 0 ? `/${segments.join("/")}` : slash ? "/" : "";
    return `${scheme}://${host}${pathText}`;
  });

/** Absolute http(s) URLs as a URL serialiser would write them (scheme://host[:port][/path][?query]). */
export const httpUrl = fc.tuple(baseUrl, query).map(([base, q]) => (q === undefined ? base : `${base}?${q}`));

/** Matrix server names (spec appendices, "Server name"). */
export const bareServerName = hostPort;

/** Opaque identifiers (spec appendices), as MSC4388 requires of rendezvous IDs. */
export const rendezvousId = fc.stringMatching(OPAQUE_ID);

export const publicKey = fc.uint8Array({ minLength: 32, maxLength: 32 });
export const intent = fc.constantFrom("new_device" as const, "existing_device" as const);
const width = fc.constantFrom("u8" as const, "u16" as const);

export const v2024LoginQr: fc.Arbitrary<V2024LoginQr> = fc
  .record({
    publicKey,
    rendezvousUrl: httpUrl,
    serverName: fc.option(fc.oneof(bareServerName, baseUrl), { nil: undefined }),
  })
  .map(({ publicKey: key, rendezvousUrl, serverName }) =>
    serverName === undefined
      ? { version: "v2024", intent: "new_device", publicKey: key, rendezvousUrl }
      : { version: "v2024", intent: "existing_device", publicKey: key, rendezvousUrl, serverName },
  );

export const v2025LoginQr: fc.Arbitrary<V2025LoginQr> = fc
  .record({
    version: fc.constant("v2025" as const),
    intent,
    publicKey,
    rendezvousId,
    baseUrl,
    prefix: fc.constantFrom("MATRIX" as const, "IO_ELEMENT_MSC4388" as const),
    idLength: width,
    baseUrlLength: width,
  })
  .filter((qr) => qr.baseUrlLength === "u16" || utf8(qr.baseUrl).length <= 0xff)
  // fc.record builds null-prototype objects; the codec returns plain ones.
  .map((qr) => ({ ...qr }));
