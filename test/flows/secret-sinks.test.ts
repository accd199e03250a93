// The secret sinks of the flow scenarios (test/helpers/secret-sinks.ts) can fail: a value leaked on purpose into
// each kind of sink, in each encoding the code uses, is found; the profile's own secret stores are not sinks.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureConsole, deviceCodeRecorder, findLeaks, SecretSet, Sinks } from "../helpers/secret-sinks";

const TOKEN = "mat_Q2xpZW50VG9rZW5Gb3JUZXN0aW5nT25seQ";
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const keyBase64 = Buffer.from(KEY).toString("base64");
const RECOVERY = "EsTc LW2K PGiF wKEA 3As5 g5k3 Ri8B kZmE 8xWb pCDU bcZ8 8WVm";

const secrets = (): SecretSet =>
  new SecretSet()
    .text("access token", TOKEN)
    .bytes("crypto-store key", KEY)
    .text("recovery key", RECOVERY)
    .keysIn("bundle", { cross_signing: { master_key: keyBase64 }, backup: { backup_version: "1" } });

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mql-sinks-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("secret sinks", () => {
  it("find nothing in a clean run", async () => {
    await writeFile(join(dir, "profile.json"), JSON.stringify({ settings: { homeserver: "https://hs" } }));
    const sinks = new Sinks()
      .add("console", "flow started")
      .add("transcript", [{ kind: "http", method: "GET", path: "/x", status: 200 }]);
    await sinks.addProfileFiles("profile", dir);
    expect(findLeaks(secrets(), sinks)).toEqual([]);
  });

  it("find a token in a transcript, the console, a snapshot and a profile file", async () => {
    const sinks = new Sinks()
      .add("transcript", [{ kind: "step", name: "x", detail: `Bearer ${TOKEN}` }])
      .add("snapshots", [{ phase: "failed", error: { message: JSON.stringify({ token: TOKEN }) } }]);
    const captured = captureConsole();
    try {
      console.debug(`token ${TOKEN}`);
    } finally {
      captured.restore();
    }
    sinks.add("console", captured.text());
    await writeFile(join(dir, "notes.log"), `refresh with ${TOKEN}\n`);
    await sinks.addProfileFiles("profile", dir);
    expect(findLeaks(secrets(), sinks)).toEqual([
      { sink: "transcript", secret: "access token" },
      { sink: "snapshots", secret: "access token" },
      { sink: "console", secret: "access token" },
      { sink: "profile/notes.log", secret: "access token" },
    ]);
  });

  it("find a key in each of its encodings, and the recovery key without its spaces", () => {
    const hex = Buffer.from(KEY).toString("hex");
    const url = keyBase64.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const sinks = new Sinks()
      .add("padded", keyBase64)
      .add("unpadded", keyBase64.replace(/=+$/, ""))
      .add("url", url)
      .add("hex", hex)
      .add("recovery", RECOVERY.replace(/ /g, ""));
    const leaks = findLeaks(secrets(), sinks);
    for (const sink of ["padded", "unpadded", "url", "hex"]) {
      expect(leaks).toContainEqual({ sink, secret: "crypto-store key" });
      expect(leaks).toContainEqual({ sink, secret: "bundle.cross_signing.master_key" });
    }
    expect(leaks).toContainEqual({ sink: "recovery", secret: "recovery key" });
  });

  it("leave the profile's own secret stores out", async () => {
    await writeFile(join(dir, "secrets.json"), JSON.stringify({ tokens: { accessToken: TOKEN } }));
    // The temporary file of a write of secrets.json in flight is the secret store too.
    await writeFile(
      join(dir, ".tmp-secrets.json-0a1b2c"),
      JSON.stringify({ tokens: { accessToken: TOKEN } }),
    );
    await writeFile(join(dir, "notes.log"), "");
    const sinks = await new Sinks().addProfileFiles("profile", dir);
    expect(findLeaks(secrets(), sinks)).toEqual([]);
    expect(sinks.names).not.toContain("profile/secrets.json");
    // That of another file is a sink like the file itself.
    await writeFile(join(dir, ".tmp-profile.json-0a1b2c"), JSON.stringify({ note: TOKEN }));
    const again = await new Sinks().addProfileFiles("profile", dir);
    expect(findLeaks(secrets(), again)).toEqual([
      { sink: "profile/.tmp-profile.json-0a1b2c", secret: "access token" },
    ]);
  });

  it("find the device code a device was handed, in a transcript, a snapshot and the console", async () => {
    // The device authorization answer (RFC 8628 §3.2) as the device receives it, through the recorder.
    const deviceCode = "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS";
    const recorder = deviceCodeRecorder();
    const fetch = recorder.wrap(() =>
      Promise.resolve(
        Response.json({ device_code: deviceCode, user_code: "WDJB-MJHT", expires_in: 600, interval: 5 }),
      ),
    );
    const answer = (await (await fetch("https://auth.example/device", { method: "POST" })).json()) as {
      user_code: string;
    };
    // The response still reaches the device whole.
    expect(answer.user_code).toBe("WDJB-MJHT");
    expect(recorder.codes).toEqual([deviceCode]);
    const inPlay = secrets();
    for (const code of recorder.codes) inPlay.text("device code", code);

    const clean = new Sinks().add("snapshots", [{ phase: "waiting_for_approval", userCode: "WDJB-MJHT" }]);
    expect(findLeaks(inPlay, clean)).toEqual([]);
    const leaky = new Sinks()
      .add("transcript", [{ kind: "http", method: "POST", path: `/token?device_code=${deviceCode}` }])
      .add("snapshots", [{ phase: "error", error: { message: `expired: ${deviceCode}` } }])
      .add("console", `polling with ${JSON.stringify({ device_code: deviceCode })}`);
    expect(findLeaks(inPlay, leaky)).toEqual([
      { sink: "transcript", secret: "device code" },
      { sink: "snapshots", secret: "device code" },
      { sink: "console", secret: "device code" },
    ]);
  });
});
