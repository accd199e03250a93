// The layer rules in eslint.config.js (which part of the tree may import which), checked on one-line snippets
// placed at chosen paths: each rule refuses what it should and lets through what the tree does today. Only the
// layer rules run here (ESLint's Node API, no type information), so each case costs milliseconds.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ESLint, type Linter } from "eslint";
import tseslint from "typescript-eslint";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");

let eslint: ESLint;

beforeAll(async () => {
  const config = (await import(pathToFileURL(join(ROOT, "eslint.config.js")).href)) as {
    LAYER_RULES: Linter.Config[];
  };
  eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ["**/*.ts", "**/*.tsx"], languageOptions: { parser: tseslint.parser } },
      ...config.LAYER_RULES,
    ],
  });
});

/** The layer-rule messages ESLint gives `import … from "<specifier>"` written in `file`. */
async function refusals(file: string, specifier: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import "${specifier}";\n`, { filePath: join(ROOT, file) });
  return (result?.messages ?? []).map((message) => `${message.ruleId ?? "parse"}: ${message.message}`);
}

type Case = readonly [file: string, specifier: string];

const REFUSED: Record<string, readonly Case[]> = {
  "the protocol core imports no Node module": [
    ["src-main/protocol/qr/codec.ts", "node:fs"],
    ["src-main/protocol/base64.ts", "buffer"],
    ["src-main/protocol/channel/v2025/aad.ts", "fs/promises"],
    ["src-main/protocol/qr/codec.test.ts", "node:crypto"],
  ],
  "the protocol core imports no React": [
    ["src-main/protocol/index.ts", "react"],
    ["src-main/protocol/messages/model.ts", "react-dom/client"],
  ],
  "the protocol core imports nothing outside itself but src-shared": [
    ["src-main/protocol/index.ts", "../electron/main"],
    ["src-main/protocol/qr/codec.ts", "../../../devserver/index"],
    ["src-main/protocol/channel/v2025/aad.ts", "../../../../src-renderer/App"],
    ["src-main/protocol/qr/codec.ts", "../../../test/fixtures/msc4108-kat.json"],
    ["src-main/protocol/qr/codec.test.ts", "../../../devserver/index"],
  ],
  "outside the protocol core, only its public face": [
    ["src-shared/errors.ts", "../src-main/protocol/errors"],
    ["src-main/electron/main.ts", "../protocol/channel/types"],
    ["src-main/flows/new-device.ts", "../protocol/rendezvous/v2024"],
    ["src-main/flows/steps/check-code.ts", "../../protocol/qr/codec"],
    ["src-renderer/App.tsx", "../src-main/protocol/messages/model"],
    ["test/devserver/rendezvous-clients.test.ts", "../../src-main/protocol/rendezvous/transport"],
    ["src-shared/errors.test.ts", "../src-main/protocol/qr/types"],
    ["scripts/bench/e2e.ts", "../../src-main/protocol/rendezvous/timing"],
    ["scripts/fuzz/targets/protocol.ts", "../../../src-main/protocol/qr/arbitraries.testing"],
  ],
  "product code outside the protocol core does not use its test face": [
    ["src-main/flows/new-device.ts", "../protocol/testing"],
    ["src-shared/errors.ts", "../src-main/protocol/testing"],
  ],
  "the devserver imports nothing from the app": [
    ["devserver/index.ts", "../src-main/protocol"],
    ["devserver/rendezvous/v2024.ts", "../../src-shared/errors"],
    ["devserver/oauth/provider.ts", "../../src-renderer/App"],
    ["devserver/ulid.test.ts", "../src-main/protocol/index"],
  ],
  "product code imports no test support": [
    ["src-main/protocol/index.ts", "./rendezvous/doubles.testing"],
    ["src-main/protocol/qr/codec.ts", "./arbitraries.testing"],
    ["src-main/protocol/index.ts", "./testing"],
    ["src-shared/errors.ts", "./fixtures.testing"],
    ["src-main/flows/new-device.ts", "../../test/helpers/devservers"],
    ["devserver/index.ts", "../test/helpers/oauth-client"],
    ["devserver/index.ts", "vitest"],
    ["src-main/protocol/qr/codec.ts", "fast-check"],
    ["src-renderer/App.tsx", "playwright-core"],
  ],
  "only the Electron shell imports electron": [
    ["src-main/protocol/index.ts", "electron"],
    ["src-main/flows/new-device.ts", "electron"],
    ["src-shared/flow.ts", "electron"],
    ["src-renderer/App.tsx", "electron"],
    ["devserver/index.ts", "electron"],
  ],
};

const ALLOWED: readonly Case[] = [
  ["src-main/protocol/rendezvous/transport.ts", "../../../src-shared/transcript"],
  ["src-main/protocol/runtime.ts", "../../src-shared/transcript"],
  ["src-main/protocol/qr/codec.ts", "../grammar"],
  ["src-main/protocol/channel/v2025/aad.ts", "../../v2025-profile"],
  ["src-main/protocol/qr/codec.ts", "@noble/hashes/sha2.js"],
  ["src-main/protocol/channel/v2024.test.ts", "../../../test/fixtures/msc4108-kat.json"],
  ["src-main/protocol/qr/codec.property.test.ts", "./arbitraries.testing"],
  ["src-main/protocol/qr/codec.property.test.ts", "fast-check"],
  ["src-main/protocol/testing.ts", "./rendezvous/doubles.testing"],
  ["src-shared/errors.ts", "../src-main/protocol"],
  ["src-shared/errors.ts", "../src-main/protocol/index"],
  ["src-main/flows/new-device.ts", "../protocol/index.ts"],
  ["src-main/electron/main.ts", "electron"],
  ["src-main/electron/main.ts", "node:path"],
  ["src-main/electron/main.ts", "../protocol"],
  ["test/devserver/rendezvous-clients.test.ts", "../../src-main/protocol/index"],
  ["test/devserver/rendezvous-clients.test.ts", "../../src-main/protocol/testing"],
  ["src-main/flows/new-device.test.ts", "../protocol/testing"],
  ["devserver/index.ts", "node:http"],
  ["devserver/ulid.test.ts", "../test/helpers/devservers"],
  ["test/helpers/chromium.ts", "playwright-core"],
  ["scripts/bench/e2e.ts", "../../src-main/protocol/testing"],
  ["scripts/fuzz/targets/protocol.ts", "../../../src-main/protocol/testing"],
];

describe("layer rules", () => {
  for (const [rule, cases] of Object.entries(REFUSED)) {
    it.each(cases)(`${rule}: %s may not import %s`, async (file, specifier) => {
      const messages = await refusals(file, specifier);
      expect(messages.length, `${file} importing ${specifier}`).toBeGreaterThan(0);
      for (const message of messages) expect(message).toMatch(/^no-restricted-imports: /);
    });
  }

  it.each(ALLOWED)("%s may import %s", async (file, specifier) => {
    expect(await refusals(file, specifier)).toEqual([]);
  });
});
