// Homeserver resolution and OAuth metadata discovery through every fallback, and every failure named: the devserver
// for what a homeserver serves (its faults stand in for a server without a path), a scripted server for the answers
// that are wrong (HTML, loops, http elsewhere, wrong types).
import { describe, expect, it } from "vitest";
import { toFlowError } from "../../src-shared/errors";
import { discoverAuthMetadata, resolveHomeserver } from "../../src-main/oauth";
import { NEVER, devserverRuntime, testRuntime, useOAuthDevservers } from "./fixtures";
import { html, json, redirect, useScriptedServers } from "./scripted-server";

const startDevserver = useOAuthDevservers();
const startScripted = useScriptedServers();

function call(runtime = testRuntime().runtime) {
  return { runtime, signal: NEVER, allowInsecureHttp: true };
}

/** Makes the devserver answer 404 to the next GET of `path`, as a server that does not serve it. */
function notServed(server: Awaited<ReturnType<typeof startDevserver>>, path: string): void {
  server.hooks.addFault({
    method: "GET",
    pathPattern: `^${path.replace(/\./g, "\\.")}$`,
    count: 1,
    status: 404,
  });
}

describe("homeserver resolution", () => {
  it("a server name whose .well-known is absent (404) is itself the homeserver's host", async () => {
    const server = await startDevserver();
    notServed(server, "/.well-known/matrix/client");
    const serverName = new URL(server.baseUrl).host;
    expect(await resolveHomeserver(serverName, call())).toEqual({ baseUrl: server.baseUrl, serverName });
  });

  it("a loopback server name without allowInsecureHttp is refused before any request", async () => {
    const test = testRuntime();
    await expect(
      resolveHomeserver("127.0.0.1:8008", { runtime: test.runtime, signal: NEVER }),
    ).rejects.toMatchObject({
      name: "OAuthError",
      code: "insecure_transport",
    });
    expect(test.exchanges).toEqual([]);
  });

  it("a base URL in plain http to another host is refused, even with allowInsecureHttp", async () => {
    await expect(resolveHomeserver("http://matrix.example.org", call())).rejects.toMatchObject({
      code: "insecure_transport",
      reason: "insecure_base_url",
    });
  });

  it("redirects are followed to the .well-known they lead to", async () => {
    const scripted = await startScripted({
      "/.well-known/matrix/client": redirect("/elsewhere"),
      "/elsewhere": json(200, { "m.homeserver": { base_url: "https://matrix.example.org/" } }),
    });
    expect(await resolveHomeserver(scripted.host, call())).toEqual({
      baseUrl: "https://matrix.example.org",
      serverName: scripted.host,
    });
  });

  const failures: [string, Record<string, ReturnType<typeof json>>, string, string][] = [
    [
      "an HTML page",
      { "/.well-known/matrix/client": html(200, "<!DOCTYPE html><html><body>Welcome!</body></html>") },
      "invalid_homeserver",
      "well_known_not_json",
    ],
    [
      "redirects in a loop",
      { "/.well-known/matrix/client": redirect("/a"), "/a": redirect("/b"), "/b": redirect("/a") },
      "invalid_homeserver",
      "redirect_loop",
    ],
    [
      "a redirect to plain http on another host",
      { "/.well-known/matrix/client": redirect("http://matrix.example.org/.well-known/matrix/client") },
      "insecure_transport",
      "insecure_redirect",
    ],
    [
      "a base URL in plain http on another host",
      {
        "/.well-known/matrix/client": json(200, {
          "m.homeserver": { base_url: "http://matrix.example.org" },
        }),
      },
      "insecure_transport",
      "insecure_base_url",
    ],
    [
      "no m.homeserver.base_url string",
      { "/.well-known/matrix/client": json(200, { "m.homeserver": { base_url: 8008 } }) },
      "invalid_homeserver",
      "well_known_invalid",
    ],
    [
      "a base URL that is not a URL",
      { "/.well-known/matrix/client": json(200, { "m.homeserver": { base_url: "matrix example org" } }) },
      "invalid_homeserver",
      "invalid_base_url",
    ],
  ];
  for (const [what, routes, code, reason] of failures) {
    it(`a .well-known with ${what}: OAuthError ${code} (${reason})`, async () => {
      const scripted = await startScripted(routes);
      const failure = resolveHomeserver(scripted.host, call());
      await expect(failure).rejects.toMatchObject({ name: "OAuthError", code, reason });
      const flow = toFlowError(await failure.catch((error: unknown) => error));
      expect(flow).toMatchObject({ code: "server_unsupported", reason, retryable: false });
    });
  }

  it("a .well-known answered 502: server_error, which may pass", async () => {
    const scripted = await startScripted({ "/.well-known/matrix/client": html(502) });
    const failure = resolveHomeserver(scripted.host, call());
    await expect(failure).rejects.toMatchObject({ code: "server_error", status: 502 });
    expect(toFlowError(await failure.catch((error: unknown) => error))).toMatchObject({
      code: "server_error",
      retryable: true,
    });
  });
});

describe("OAuth discovery: the fallbacks", () => {
  it("without the stable auth_metadata, the unstable MSC2965 path answers", async () => {
    const server = await startDevserver();
    notServed(server, "/_matrix/client/v1/auth_metadata");
    const test = devserverRuntime(server);
    const metadata = await discoverAuthMetadata(server.baseUrl, call(test.runtime));
    expect(metadata).toMatchObject({ source: "unstable", issuer: server.issuer });
    expect(test.exchanges.map((exchange) => `${exchange.status} ${exchange.path}`)).toEqual([
      "404 /_matrix/client/v1/auth_metadata",
      "200 /_matrix/client/unstable/org.matrix.msc2965/auth_metadata",
    ]);
  });

  it("without either auth_metadata, the legacy auth_issuer and the issuer's OpenID configuration", async () => {
    const server = await startDevserver();
    notServed(server, "/_matrix/client/v1/auth_metadata");
    notServed(server, "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata");
    const test = devserverRuntime(server);
    const metadata = await discoverAuthMetadata(server.baseUrl, call(test.runtime));
    expect(metadata).toMatchObject({
      source: "legacy",
      issuer: server.issuer,
      deviceAuthorizationEndpoint: `${server.issuer}oauth2/device`,
    });
    expect(test.exchanges.map((exchange) => `${exchange.status} ${exchange.path}`)).toEqual([
      "404 /_matrix/client/v1/auth_metadata",
      "404 /_matrix/client/unstable/org.matrix.msc2965/auth_metadata",
      "404 /_matrix/client/v1/auth_issuer",
      "200 /_matrix/client/unstable/org.matrix.msc2965/auth_issuer",
      "200 /.well-known/openid-configuration",
    ]);
  });

  it("none of them: no_oauth_api, which is server_unsupported with that reason", async () => {
    const server = await startDevserver();
    notServed(server, "/_matrix/client/v1/auth_metadata");
    notServed(server, "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata");
    notServed(server, "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer");
    const failure = discoverAuthMetadata(server.baseUrl, call());
    await expect(failure).rejects.toMatchObject({ name: "OAuthError", code: "no_oauth_api" });
    expect(toFlowError(await failure.catch((error: unknown) => error))).toMatchObject({
      code: "server_unsupported",
      reason: "no_oauth_api",
    });
  });

  it("a failing auth_metadata (Synapse's 500 when its MAS is down) is the answer: no fallback", async () => {
    const server = await startDevserver();
    server.hooks.addFault({
      method: "GET",
      pathPattern: "^/_matrix/client/v1/auth_metadata$",
      count: 1,
      status: 500,
    });
    const test = devserverRuntime(server);
    await expect(discoverAuthMetadata(server.baseUrl, call(test.runtime))).rejects.toMatchObject({
      code: "server_error",
      status: 500,
    });
    expect(test.exchanges).toHaveLength(1);
  });

  it("400 M_UNRECOGNIZED (an old homeserver's way of saying unknown endpoint) counts as absent", async () => {
    const scripted = await startScripted({
      "/_matrix/client/v1/auth_metadata": json(400, {
        errcode: "M_UNRECOGNIZED",
        error: "Unrecognized request",
      }),
    });
    await expect(discoverAuthMetadata(scripted.url, call())).rejects.toMatchObject({ code: "no_oauth_api" });
    expect(scripted.requests).toEqual([
      "GET /_matrix/client/v1/auth_metadata",
      "GET /_matrix/client/unstable/org.matrix.msc2965/auth_metadata",
      "GET /_matrix/client/v1/auth_issuer",
      "GET /_matrix/client/unstable/org.matrix.msc2965/auth_issuer",
    ]);
  });
});

describe("OAuth discovery: what is refused in the metadata", () => {
  const METADATA = "/_matrix/client/v1/auth_metadata";
  const valid = (issuer: string) => ({
    issuer: `${issuer}/`,
    token_endpoint: `${issuer}/oauth2/token`,
    registration_endpoint: `${issuer}/oauth2/registration`,
    grant_types_supported: ["authorization_code"],
  });

  it("a plain-http issuer on another host: insecure_transport (insecure_issuer)", async () => {
    const scripted = await startScripted();
    scripted.on(METADATA, json(200, { ...valid(scripted.url), issuer: "http://auth.example.org/" }));
    await expect(discoverAuthMetadata(scripted.url, call())).rejects.toMatchObject({
      code: "insecure_transport",
      reason: "insecure_issuer",
    });
  });

  it("a plain-http endpoint on another host: insecure_transport (insecure_endpoint)", async () => {
    const scripted = await startScripted();
    scripted.on(
      METADATA,
      json(200, { ...valid(scripted.url), token_endpoint: "http://auth.example.org/token" }),
    );
    await expect(discoverAuthMetadata(scripted.url, call())).rejects.toMatchObject({
      code: "insecure_transport",
      reason: "insecure_endpoint",
    });
  });

  it("a loopback issuer without allowInsecureHttp is refused before any request", async () => {
    const scripted = await startScripted();
    scripted.on(METADATA, json(200, valid(scripted.url)));
    await expect(
      discoverAuthMetadata(scripted.url, { runtime: testRuntime().runtime, signal: NEVER }),
    ).rejects.toMatchObject({ code: "insecure_transport" });
    expect(scripted.requests).toEqual([]);
  });

  for (const [what, change] of [
    ["grant_types_supported is not a list of strings", { grant_types_supported: "device_code" }],
    ["token_endpoint is missing", { token_endpoint: undefined }],
    ["registration_endpoint is a number", { registration_endpoint: 443 }],
    ["an endpoint is not a URL", { registration_endpoint: "/oauth2/registration" }],
  ] as const) {
    it(`${what}: invalid_response (invalid_metadata)`, async () => {
      const scripted = await startScripted();
      scripted.on(METADATA, json(200, { ...valid(scripted.url), ...change }));
      await expect(discoverAuthMetadata(scripted.url, call())).rejects.toMatchObject({
        code: "invalid_response",
        reason: "invalid_metadata",
      });
    });
  }

  it("an issuer that is not a URL: invalid_response", async () => {
    const scripted = await startScripted();
    scripted.on(METADATA, json(200, { ...valid(scripted.url), issuer: 42 }));
    await expect(discoverAuthMetadata(scripted.url, call())).rejects.toMatchObject({
      code: "invalid_response",
    });
  });

  it("the legacy OpenID configuration must name the issuer the homeserver named", async () => {
    const scripted = await startScripted();
    scripted.on(
      "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer",
      json(200, { issuer: `${scripted.url}/` }),
    );
    scripted.on(
      "/.well-known/openid-configuration",
      json(200, { ...valid(scripted.url), issuer: "https://impostor.example.org/" }),
    );
    await expect(discoverAuthMetadata(scripted.url, call())).rejects.toMatchObject({
      code: "invalid_response",
      reason: "json_attribute_comparison_failed",
    });
  });
});
