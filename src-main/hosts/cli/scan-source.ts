// What `--scan <source>` names, read into the QR code's exact bytes: a PNG file (decoded here), a file holding the
// bytes' base64, the base64 itself, or `-` (the code comes later: a line in human mode, a `submitScannedQr`
// command with --json). A source that is none of these is a usage error; a picture without a QR code in it is
// the flow's own `invalid_qr`.
import { readFile, stat } from "node:fs/promises";
import { FlowFailure, flowError } from "../../../src-shared/errors";
import { decodeBase64, encodeBase64 } from "../../protocol";
import { UsageError, type CommandName } from "./args";
import { decodeQrPng, isPng } from "./qr-image";

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_FILE_BYTES = 20 * 1024 * 1024;

export type ScanSource = { readonly kind: "later" } | { readonly kind: "bytes"; readonly base64: string };

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** A pasted or read line: base64 of the code's bytes, or the path of a PNG picture of it. */
export async function readScannedText(text: string): Promise<Uint8Array> {
  const trimmed = text.trim();
  if (await isFile(trimmed)) return readScanFile(trimmed);
  if (BASE64.test(trimmed)) return decodeBase64(trimmed, "invalid_qr");
  throw new FlowFailure(
    flowError("invalid_qr", "neither a file nor the QR code's bytes in base64", "not_base64"),
  );
}

async function readScanFile(path: string): Promise<Uint8Array> {
  const info = await stat(path);
  if (info.size > MAX_FILE_BYTES) {
    throw new FlowFailure(
      flowError("invalid_qr", `${path} is over ${MAX_FILE_BYTES} bytes`, "file_too_large"),
    );
  }
  const file = new Uint8Array(await readFile(path));
  if (isPng(file)) {
    let bytes: Uint8Array | undefined;
    try {
      bytes = decodeQrPng(file);
    } catch {
      throw new FlowFailure(flowError("invalid_qr", `${path} is not a readable PNG`, "bad_png"));
    }
    if (bytes === undefined) {
      throw new FlowFailure(flowError("invalid_qr", `no QR code found in ${path}`, "no_qr_in_picture"));
    }
    return bytes;
  }
  const text = new TextDecoder().decode(file).trim();
  if (BASE64.test(text)) return decodeBase64(text, "invalid_qr");
  throw new FlowFailure(flowError("invalid_qr", `${path} is neither a PNG nor base64 text`, "unknown_file"));
}

/** Reads `--scan`'s value up front, so that a wrong one fails before any profile is opened. */
export async function resolveScanSource(value: string, command: CommandName): Promise<ScanSource> {
  if (value === "-") return { kind: "later" };
  if (await isFile(value)) return { kind: "bytes", base64: encodeBase64(await readScanFile(value)) };
  if (BASE64.test(value)) return { kind: "bytes", base64: value };
  throw new UsageError(`--scan ${JSON.stringify(value.slice(0, 60))}: no such file, and not base64`, command);
}
