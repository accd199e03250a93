// Probe both rendezvous APIs of a running homeserver (the sandbox Synapse, or the devserver) and print every
// exchange: request, status, all response headers, body. Then "fact:" lines derived from them. This is how the
// table in docs/synapse.md was measured; run it again after a Synapse version bump and compare.
//
// usage: node scripts/synapse/probe-rendezvous.mjs [BASE_URL] [--section v2024|v2025|capacity|authenticated]
//                                                  [--token ACCESS_TOKEN] [--slow]
//   BASE_URL   default http://127.0.0.1:8008
//   --section  one section only; default v2024 then v2025 (and authenticated if discovery answers 401)
//   --token    a valid access token, for the positive cases of the authenticated section
//   --slow     also wait out the session lifetimes (about 3 minutes)
//   capacity   creates a few hundred sessions and evicts everything else on the server: run it last
//
// Plain node:http on purpose: fetch cannot leave out Content-Length or send Sec-Fetch-* values of our choosing.
import { createHash } from "node:crypto";
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

const argv = process.argv.slice(2);
const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const base = (argv.find((a) => /^https?:\/\//.test(a)) ?? "http://127.0.0.1:8008").replace(/\/$/, "");
const slow = argv.includes("--slow");
const token = option("--token");
const only = option("--section");

const V2024_CREATE = "/_matrix/client/unstable/org.matrix.msc4108/rendezvous";
const V2024_SESSIONS = "/_synapse/client/rendezvous";
const V2025 = "/_matrix/client/unstable/io.element.msc4388/rendezvous";
const STABLE = "/_matrix/client/v1/rendezvous";
const UNKNOWN_ID = "01HX9K00Q1H6KPD47EG4G1T3XG";
const ORIGIN = "http://app.example";

/** One raw exchange. `chunked` sends the body without Content-Length. */
function send(method, pathOrUrl, { headers = {}, body, chunked = false } = {}) {
  const url = new URL(pathOrUrl, base);
  const sent = { ...headers };
  if (body !== undefined && !chunked) sent["Content-Length"] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers: sent }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => {
        const raw = [];
        for (let i = 0; i < response.rawHeaders.length; i += 2) {
          raw.push([response.rawHeaders[i], response.rawHeaders[i + 1]]);
        }
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: response.statusCode, raw, headers: response.headers, body: text });
      });
    });
    request.on("error", reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

const clip = (text, max) =>
  text.length > max ? `${text.slice(0, max)}… (${Buffer.byteLength(text)} bytes)` : text;

async function step(title, method, path, options = {}) {
  const response = await send(method, path, options);
  console.log(`\n### ${title}\n> ${method} ${new URL(path, base).pathname}`);
  for (const [name, value] of Object.entries(options.headers ?? {})) console.log(`> ${name}: ${value}`);
  if (options.body !== undefined) {
    console.log(`> ${options.chunked ? "(chunked) " : ""}${JSON.stringify(clip(options.body, 70))}`);
  }
  console.log(`< ${response.status}`);
  for (const [name, value] of response.raw) {
    if (!/^(date|server|transfer-encoding|connection|keep-alive)$/i.test(name))
      console.log(`< ${name}: ${value}`);
  }
  if (response.body !== "") console.log(`< ${clip(response.body, 200)}`);
  return response;
}

const fact = (text) => console.log(`\nfact: ${text}`);
const plain = (extra = {}) => ({ "Content-Type": "text/plain", ...extra });
const json = (extra = {}) => ({ "Content-Type": "application/json", ...extra });
const seconds = (a, b) => (Date.parse(a) - Date.parse(b)) / 1000;
const sha256url = (...parts) => createHash("sha256").update(Buffer.concat(parts)).digest("base64url");
const u128 = (ms) => {
  const bytes = Buffer.alloc(16);
  bytes.writeBigUInt64BE(BigInt(ms), 8);
  return bytes;
};
const parse = (response) => JSON.parse(response.body);

async function v2024() {
  console.log("\n## v2024: MSC4108 (2024) rendezvous, text/plain + ETag");
  const created = await step("create, empty body", "POST", V2024_CREATE, {
    headers: plain({ Origin: ORIGIN }),
    body: "",
  });
  const url = parse(created).url;
  fact(`session URL ${url} (id ${url.split("/").pop().length} chars)`);
  fact(`Expires - Date = ${seconds(created.headers.expires, created.headers.date)} s`);
  fact(`ETag of the empty body is "b64url(SHA-256(''))": ${created.headers.etag === `"${sha256url()}"`}`);

  const first = await step("GET", "GET", url, { headers: { Origin: ORIGIN } });
  await step("GET, If-None-Match = current ETag", "GET", url, {
    headers: { "If-None-Match": first.headers.etag },
  });
  await step("GET, If-None-Match = another ETag", "GET", url, { headers: { "If-None-Match": '"other"' } });
  await step("GET, If-None-Match = current ETag without quotes", "GET", url, {
    headers: { "If-None-Match": first.headers.etag.replaceAll('"', "") },
  });
  await step("HEAD", "HEAD", url);
  await step("GET with Sec-Fetch-Mode: navigate, Sec-Fetch-Dest: document", "GET", url, {
    headers: { "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document" },
  });

  await step("PUT without If-Match", "PUT", url, { headers: plain(), body: "a" });
  await step("PUT, wrong If-Match", "PUT", url, {
    headers: plain({ "If-Match": '"wrong"', Origin: ORIGIN }),
    body: "a",
  });
  await sleep(1100); // so that a changed Last-Modified is visible
  const put = await step("PUT, current If-Match", "PUT", url, {
    headers: plain({ "If-Match": first.headers.etag, Origin: ORIGIN }),
    body: "hello",
  });
  fact(
    `ETag after PUT "hello" is "b64url(SHA-256('hello'))": ${put.headers.etag === `"${sha256url(Buffer.from("hello"))}"`}`,
  );
  fact(`PUT kept Expires: ${put.headers.expires === created.headers.expires}`);
  fact(`PUT moved Last-Modified: ${created.headers["last-modified"]} -> ${put.headers["last-modified"]}`);
  await step("GET after PUT", "GET", url);
  await step("PUT, stale If-Match", "PUT", url, {
    headers: plain({ "If-Match": first.headers.etag }),
    body: "hello",
  });
  const again = await step("PUT the same body, current If-Match", "PUT", url, {
    headers: plain({ "If-Match": put.headers.etag }),
    body: "hello",
  });
  fact(`re-PUT of identical content keeps the ETag: ${again.headers.etag === put.headers.etag}`);
  await step("PUT, If-Match: *", "PUT", url, { headers: plain({ "If-Match": "*" }), body: "star" });
  const current = async () => (await send("GET", url)).headers.etag;
  await step("PUT, Content-Type: text/plain; charset=utf-8", "PUT", url, {
    headers: { "Content-Type": "text/plain; charset=utf-8", "If-Match": await current() },
    body: "x",
  });
  await step("PUT without Content-Type", "PUT", url, { headers: { "If-Match": await current() }, body: "x" });
  await step("PUT without Content-Length (chunked)", "PUT", url, {
    headers: plain({ "If-Match": await current() }),
    body: "x",
    chunked: true,
  });
  await step("PUT 4096 bytes", "PUT", url, {
    headers: plain({ "If-Match": await current() }),
    body: "x".repeat(4096),
  });
  await step("PUT 4097 bytes", "PUT", url, {
    headers: plain({ "If-Match": await current() }),
    body: "x".repeat(4097),
  });
  await step("PUT 4097 bytes, wrong If-Match", "PUT", url, {
    headers: plain({ "If-Match": '"wrong"' }),
    body: "x".repeat(4097),
  });

  await step("create, Content-Type: text/plain; charset=utf-8", "POST", V2024_CREATE, {
    headers: { "Content-Type": "text/plain; charset=utf-8" },
    body: "",
  });
  await step("create, Content-Type: TEXT/PLAIN", "POST", V2024_CREATE, {
    headers: { "Content-Type": "TEXT/PLAIN" },
    body: "",
  });
  await step("create without Content-Type", "POST", V2024_CREATE, { body: "" });
  await step("create, application/json", "POST", V2024_CREATE, { headers: json(), body: "{}" });
  await step("create without Content-Length (chunked)", "POST", V2024_CREATE, {
    headers: plain(),
    body: "",
    chunked: true,
  });
  await step("create with 4096 bytes", "POST", V2024_CREATE, { headers: plain(), body: "y".repeat(4096) });
  await step("create with 4097 bytes", "POST", V2024_CREATE, { headers: plain(), body: "y".repeat(4097) });
  await step("GET on the create path", "GET", V2024_CREATE);
  await step("create on the stable path", "POST", STABLE, { headers: plain(), body: "" });
  await step("preflight on the create path", "OPTIONS", V2024_CREATE, {
    headers: {
      Origin: ORIGIN,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type",
    },
  });
  await step("preflight on the session URL", "OPTIONS", url, {
    headers: {
      Origin: ORIGIN,
      "Access-Control-Request-Method": "PUT",
      "Access-Control-Request-Headers": "content-type,if-match",
    },
  });

  await step("DELETE", "DELETE", url, { headers: { Origin: ORIGIN } });
  await step("GET after DELETE", "GET", url);
  await step("PUT after DELETE", "PUT", url, { headers: plain({ "If-Match": put.headers.etag }), body: "x" });
  await step("DELETE again", "DELETE", url);
  await step("GET unknown id", "GET", `${V2024_SESSIONS}/${UNKNOWN_ID}`);
  await step("GET malformed id", "GET", `${V2024_SESSIONS}/not-an-id`);
  await step("GET with an extra path segment", "GET", `${V2024_SESSIONS}/${UNKNOWN_ID}/extra`);

  if (slow) {
    const session = await send("POST", V2024_CREATE, { headers: plain(), body: "" });
    const sessionUrl = parse(session).url;
    const createdAt = Date.now();
    await sleep(30_000);
    const late = await send("PUT", sessionUrl, {
      headers: plain({ "If-Match": session.headers.etag }),
      body: "z",
    });
    fact(
      `PUT at +30 s: ${late.status}, Expires ${late.headers.expires} (at create: ${session.headers.expires})`,
    );
    await sleep(createdAt + 59_000 - Date.now());
    fact(`GET at +59 s: ${(await send("GET", sessionUrl)).status}`);
    await sleep(createdAt + 61_500 - Date.now());
    const gone = await send("GET", sessionUrl);
    fact(`GET at +61.5 s: ${gone.status} ${gone.body}`);
  }
}

async function v2025() {
  console.log("\n## v2025: MSC4388 rendezvous, JSON + sequence_token");
  await step("discover", "GET", V2025, { headers: { Origin: ORIGIN } });
  await step("discover on the stable path", "GET", STABLE);
  await step("create on the stable path", "POST", STABLE, { headers: json(), body: '{"data":""}' });
  const before = Date.now();
  const created = await step("create", "POST", V2025, {
    headers: json({ Origin: ORIGIN }),
    body: '{"data":""}',
  });
  const after = Date.now();
  const { id, sequence_token: token0 } = parse(created);
  fact(`id ${id.length} chars; sequence_token ${token0.length} chars, base64url: ${/^[\w-]+$/.test(token0)}`);
  let derivation = "not SHA-256(data || u128 BE milliseconds)";
  for (let ms = before - 5; ms <= after + 5; ms++) {
    if (sha256url(Buffer.from(""), u128(ms)) === token0) derivation = "b64url(SHA-256(data || u128 BE ms))";
  }
  fact(`sequence_token is ${derivation}`);

  const path = `${V2025}/${id}`;
  const first = await step("GET", "GET", path, { headers: { Origin: ORIGIN } });
  await sleep(1500);
  const later = parse(await send("GET", path)).expires_in_ms;
  fact(`expires_in_ms ${parse(first).expires_in_ms}, then ${later} about 1.5 s later`);
  const put = await step("PUT, current token", "PUT", path, {
    headers: json({ Origin: ORIGIN }),
    body: JSON.stringify({ sequence_token: token0, data: "one" }),
  });
  const token1 = parse(put).sequence_token;
  fact(`expires_in_ms right after that PUT: ${parse(await send("GET", path)).expires_in_ms}`);
  await step("PUT, previous token, different data", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: token0, data: "two" }),
  });
  const retry = await step("PUT, previous token, data identical to what is stored", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: token0, data: "one" }),
  });
  fact(`that retry answered the current token: ${parse(retry).sequence_token === token1}`);
  const same = await step("PUT, current token, same data", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: token1, data: "one" }),
  });
  fact(`same data under the current token made a new token: ${parse(same).sequence_token !== token1}`);
  await step("PUT, token two writes back, data identical to what is stored", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: token0, data: "one" }),
  });
  const token = async () => parse(await send("GET", path)).sequence_token;
  await step("PUT {id}/{txnId}", "PUT", `${path}/txn1`, {
    headers: json(),
    body: JSON.stringify({ sequence_token: await token(), data: "x" }),
  });
  await step("PUT without sequence_token", "PUT", path, { headers: json(), body: '{"data":"x"}' });
  await step("PUT without data", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: await token() }),
  });
  await step("PUT, data not a string", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: await token(), data: 5 }),
  });
  await step("PUT, invalid JSON", "PUT", path, { headers: json(), body: "{" });
  await step("PUT, Content-Type: text/plain", "PUT", path, {
    headers: plain(),
    body: JSON.stringify({ sequence_token: await token(), data: "ct" }),
  });
  await step("PUT without Content-Type", "PUT", path, {
    body: JSON.stringify({ sequence_token: await token(), data: "none" }),
  });
  await step("PUT without Content-Length (chunked)", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: await token(), data: "chunked" }),
    chunked: true,
  });
  await step("PUT, data 4096 bytes", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: await token(), data: "x".repeat(4096) }),
  });
  await step("PUT, data 4097 bytes", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: await token(), data: "x".repeat(4097) }),
  });
  await step("PUT, data 4097 bytes, wrong token", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: "wrong", data: "x".repeat(4097) }),
  });
  await step("PUT, data 2049 × é (4098 UTF-8 bytes)", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: await token(), data: "é".repeat(2049) }),
  });
  await step("PUT, data 2048 × é (4096 UTF-8 bytes)", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: await token(), data: "é".repeat(2048) }),
  });

  await step("create, data 4097 bytes", "POST", V2025, {
    headers: json(),
    body: JSON.stringify({ data: "x".repeat(4097) }),
  });
  await step("create, empty object", "POST", V2025, { headers: json(), body: "{}" });
  await step("create, no body", "POST", V2025);
  await step("create, data not a string", "POST", V2025, { headers: json(), body: '{"data":1}' });
  await step("create, Content-Type: text/plain", "POST", V2025, { headers: plain(), body: '{"data":""}' });

  for (const [name, value] of [
    ["Sec-Fetch-Dest", "document"],
    ["Sec-Fetch-Dest", "empty"],
    ["Sec-Fetch-Mode", "navigate"],
    ["Sec-Fetch-Mode", "cors"],
    ["Sec-Fetch-User", "?1"],
    ["Sec-Fetch-Site", "none"],
    ["Sec-Fetch-Site", "cross-site"],
  ]) {
    await step(`GET with ${name}: ${value}`, "GET", path, { headers: { [name]: value } });
  }
  await step("PUT with Sec-Fetch-Mode: navigate (wrong token)", "PUT", path, {
    headers: json({ "Sec-Fetch-Mode": "navigate" }),
    body: '{"sequence_token":"x","data":"y"}',
  });
  await step("create with Sec-Fetch-Mode: navigate", "POST", V2025, {
    headers: json({ "Sec-Fetch-Mode": "navigate" }),
    body: '{"data":""}',
  });
  await step("preflight on the create path", "OPTIONS", V2025, {
    headers: {
      Origin: ORIGIN,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type,authorization",
    },
  });
  await step("preflight on the session path", "OPTIONS", path, {
    headers: {
      Origin: ORIGIN,
      "Access-Control-Request-Method": "PUT",
      "Access-Control-Request-Headers": "content-type",
    },
  });

  await step("GET unknown id", "GET", `${V2025}/${UNKNOWN_ID}`);
  await step("PUT unknown id", "PUT", `${V2025}/${UNKNOWN_ID}`, {
    headers: json(),
    body: '{"sequence_token":"a","data":"b"}',
  });
  await step("DELETE unknown id", "DELETE", `${V2025}/${UNKNOWN_ID}`);
  await step("GET malformed id", "GET", `${V2025}/not-an-id`);
  await step("DELETE", "DELETE", path, { headers: { Origin: ORIGIN } });
  await step("GET after DELETE", "GET", path);
  await step("PUT after DELETE", "PUT", path, {
    headers: json(),
    body: JSON.stringify({ sequence_token: token1, data: "z" }),
  });
  await step("DELETE again", "DELETE", path);
  await step("the v2024 session path with a v2025 id", "GET", `${V2024_SESSIONS}/${id}`);

  if (slow) {
    const session = parse(await send("POST", V2025, { headers: json(), body: '{"data":""}' }));
    const sessionPath = `${V2025}/${session.id}`;
    const createdAt = Date.now();
    await sleep(60_000);
    const body = JSON.stringify({ sequence_token: session.sequence_token, data: "late" });
    await send("PUT", sessionPath, { headers: json(), body });
    fact(`GET at +60 s, after a PUT: expires_in_ms ${parse(await send("GET", sessionPath)).expires_in_ms}`);
    await sleep(createdAt + 119_000 - Date.now());
    fact(`GET at +119 s: ${(await send("GET", sessionPath)).status}`);
    await sleep(createdAt + 121_500 - Date.now());
    const gone = await send("GET", sessionPath);
    fact(`GET at +121.5 s: ${gone.status} ${gone.body}`);
  }
}

async function capacity() {
  console.log("\n## capacity (evicts every other session on the server)");
  const create = {
    v2024: async () => parse(await send("POST", V2024_CREATE, { headers: plain(), body: "" })).url,
    v2025: async () =>
      `${V2025}/${parse(await send("POST", V2025, { headers: json(), body: '{"data":""}' })).id}`,
  };
  for (const [version, make] of Object.entries(create)) {
    const sessions = [];
    let evictedAt = 0;
    for (let n = 1; n <= 300 && evictedAt === 0; n++) {
      sessions.push(await make());
      if ((await send("GET", sessions[0])).status !== 200) evictedAt = n;
    }
    const alive = [];
    for (const session of sessions) alive.push((await send("GET", session)).status === 200);
    fact(
      `${version}: the first session vanished on create #${evictedAt || "none (300 tried)"}; ` +
        `then ${alive.filter(Boolean).length} alive, the oldest being #${alive.indexOf(true) + 1}`,
    );
  }
}

async function authenticated() {
  console.log("\n## v2025 with msc4388_mode: authenticated");
  await step("discover without a token", "GET", V2025);
  await step("discover, unknown token", "GET", V2025, { headers: { Authorization: "Bearer unknown" } });
  await step("create without a token", "POST", V2025, { headers: json(), body: '{"data":""}' });
  await step("create, unknown token", "POST", V2025, {
    headers: json({ Authorization: "Bearer unknown" }),
    body: '{"data":""}',
  });
  if (token === undefined) {
    fact("no --token given: positive cases skipped");
    return;
  }
  await step("discover, valid token", "GET", V2025, { headers: { Authorization: `Bearer ${token}` } });
  const created = await step("create, valid token", "POST", V2025, {
    headers: json({ Authorization: `Bearer ${token}` }),
    body: '{"data":""}',
  });
  const { id, sequence_token: sequenceToken } = parse(created);
  await step("GET without a token", "GET", `${V2025}/${id}`);
  await step("PUT without a token", "PUT", `${V2025}/${id}`, {
    headers: json(),
    body: JSON.stringify({ sequence_token: sequenceToken, data: "x" }),
  });
  await step("DELETE without a token", "DELETE", `${V2025}/${id}`);
}

console.log(`# rendezvous probe of ${base}, ${new Date().toISOString()}`);
const versions = parse(await step("versions", "GET", "/_matrix/client/versions"));
fact(`versions: ${versions.versions.join(" ")}`);
fact(`unstable_features["org.matrix.msc4108"] = ${versions.unstable_features["org.matrix.msc4108"]}`);
const msc4388Keys = Object.keys(versions.unstable_features).filter((key) => key.includes("4388"));
fact(`unstable_features keys naming msc4388: ${JSON.stringify(msc4388Keys)}`);

const sections = { v2024, v2025, capacity, authenticated };
if (only !== undefined) {
  if (!(only in sections)) throw new Error(`unknown --section ${only}`);
  await sections[only]();
} else {
  await v2024();
  if ((await send("GET", V2025)).status === 401) await authenticated();
  else await v2025();
}
