// ULIDs as Synapse makes rendezvous IDs (`Ulid::from_datetime(now)`): 48-bit millisecond time then 80 random
// bits, 26 characters of Crockford base32, most significant first (https://github.com/ulid/spec).
import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

export function createUlid(timeMs: number, random: (length: number) => Uint8Array = randomBytes): string {
  if (!Number.isSafeInteger(timeMs) || timeMs < 0 || timeMs >= 2 ** 48) {
    throw new RangeError(`ULID time out of range: ${timeMs}`);
  }
  let value = BigInt(timeMs);
  for (const byte of random(10)) value = (value << 8n) | BigInt(byte);
  let text = "";
  for (let index = 0; index < 26; index += 1) {
    text = (CROCKFORD[Number(value & 31n)] ?? "") + text;
    value >>= 5n;
  }
  return text;
}

export function isUlid(text: string): boolean {
  return ULID_PATTERN.test(text);
}

/** The millisecond timestamp a ULID carries. */
export function ulidTime(ulid: string): number {
  if (!isUlid(ulid)) throw new TypeError(`not a ULID: ${ulid}`);
  let time = 0;
  for (const char of ulid.slice(0, 10)) time = time * 32 + CROCKFORD.indexOf(char);
  return time;
}
