// The devserver command line as users start it: the built `out/node/devserver.js`, one ready line on stdout,
// flags mapped to options, and a clean exit 0 on SIGTERM and SIGINT.
import { describe, expect, it } from "vitest";
import { ready, useBuiltDevserver } from "../helpers/devserver-cli";

const { run } = useBuiltDevserver();

describe("npm run devserver (out/node/devserver.js)", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`prints exactly one ready line, serves /versions, and exits 0 on ${signal}`, async () => {
      const running = run(["--port", "0"]);
      const baseUrl = await ready(running);
      expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const versions = await fetch(`${baseUrl}/_matrix/client/versions`);
      expect(versions.status).toBe(200);
      expect(((await versions.json()) as { versions: string[] }).versions).toContain("v1.15");
      running.child.kill(signal);
      expect(await running.exited).toEqual({ code: 0, signal: null });
      expect(running.stdout()).toBe(`devserver ready at ${baseUrl}\n`);
    });
  }

  it("maps flags to options: --no-msc4108, --msc4388-mode off, --test-hooks", async () => {
    const running = run([
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--no-msc4108",
      "--msc4388-mode",
      "off",
      "--test-hooks",
    ]);
    const baseUrl = await ready(running);
    const versions = (await (await fetch(`${baseUrl}/_matrix/client/versions`)).json()) as {
      unstable_features: Record<string, boolean>;
    };
    expect(versions.unstable_features["org.matrix.msc4108"]).toBe(false);
    expect((await fetch(`${baseUrl}/_matrix/client/unstable/io.element.msc4388/rendezvous`)).status).toBe(
      404,
    );
    expect((await fetch(`${baseUrl}/_devserver/rendezvous-log`)).status).toBe(200);
    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
  });

  it("maps the OAuth switches: --no-auth-metadata, --device-code-grant-disabled, --refuse-registration", async () => {
    const running = run([
      "--port",
      "0",
      "--no-auth-metadata",
      "--device-code-grant-disabled",
      "--refuse-registration",
    ]);
    const baseUrl = await ready(running);
    expect((await fetch(`${baseUrl}/_matrix/client/v1/auth_metadata`)).status).toBe(404);
    const device = await fetch(`${baseUrl}/oauth2/device`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "client_id=x",
    });
    expect(device.status).toBe(400);
    const registration = await fetch(`${baseUrl}/oauth2/registration`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_uri: "https://client.example.org/", token_endpoint_auth_method: "none" }),
    });
    expect(((await registration.json()) as { error: string }).error).toBe("invalid_client_metadata");
    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
  });

  it("maps the rendezvous flags: TTLs, payload limit, send shape and stable path", async () => {
    const running = run([
      "--port",
      "0",
      "--rendezvous-ttl-v2025",
      "9",
      "--rendezvous-max-bytes",
      "10",
      "--rendezvous-v2025-put",
      "txn",
      "--rendezvous-v2025-stable",
      "--public-base-url",
      "https://hs.example.test/",
    ]);
    const baseUrl = await ready(running);
    const created = await fetch(`${baseUrl}/_matrix/client/v1/rendezvous`, {
      method: "POST",
      body: JSON.stringify({ data: "0123456789" }),
    });
    const { id, expires_in_ms } = (await created.json()) as { id: string; expires_in_ms: number };
    expect(expires_in_ms).toBe(9000);
    const plainPut = await fetch(`${baseUrl}/_matrix/client/v1/rendezvous/${id}`, {
      method: "PUT",
      body: "{}",
    });
    expect(plainPut.status).toBe(405);
    const tooBig = await fetch(`${baseUrl}/_matrix/client/v1/rendezvous`, {
      method: "POST",
      body: JSON.stringify({ data: "01234567890" }),
    });
    expect(tooBig.status).toBe(413);
    const v2024 = await fetch(`${baseUrl}/_matrix/client/unstable/org.matrix.msc4108/rendezvous`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: new Uint8Array(0),
    });
    expect(((await v2024.json()) as { url: string }).url).toMatch(/^https:\/\/hs\.example\.test\/_synapse\//);
    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
  });

  it("refuses an unknown flag or a bad value with exit 2 and the usage on stderr, printing nothing on stdout", async () => {
    for (const args of [["--bogus"], ["--msc4388-mode", "sometimes"], ["--port", "abc"]]) {
      const running = run(args);
      expect((await running.exited).code, args.join(" ")).toBe(2);
      expect(running.stdout()).toBe("");
      expect(running.stderr()).toContain("usage: npm run devserver");
    }
  });
});
