// Flat ESLint config: typed linting for the Node side (main, shared, devserver, tests) and the renderer, and the
// layer rules (which part may import which) as `no-restricted-imports`.
import { builtinModules } from "node:module";
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";

// --- Layer rules (docs/ARCHITECTURE.md §2) -------------------------------------------------------------------
// Flat config replaces a rule's options wholesale when a later object matches the same file, so every file falls
// into exactly one of the groups below, and each group lists its complete set of restrictions. Import specifiers
// are relative paths, so a rule about "outside src-main/protocol/" is written per directory depth.

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const restrictions = (...blocks) => ({
  paths: blocks.flatMap((block) => block.paths ?? []),
  patterns: blocks
    .flatMap((block) => block.patterns ?? [])
    .map((pattern) => ({ caseSensitive: true, ...pattern })),
});

/** Test files and test support: `*.test.ts(x)`, `*.testing.ts` and the protocol core's test face. */
const TEST_FILES = ["**/*.test.ts", "**/*.test.tsx", "**/*.testing.ts", "src-main/protocol/testing.ts"];

const ELECTRON = {
  paths: [{ name: "electron", message: "Only src-main/electron/ imports electron." }],
};
const NODE_BUILTINS = {
  patterns: [
    {
      regex: `^(?:node:|(?:${builtinModules.map(escapeRegex).join("|")})(?:/|$))`,
      message:
        "src-main/protocol/ does no I/O of its own: take what you need through the Runtime, not a Node module.",
    },
  ],
};
const REACT = {
  patterns: [
    { regex: "^react(?:-dom)?(?:/|$)", message: "src-main/protocol/ is pure TypeScript: no React." },
  ],
};
const TEST_SUPPORT = {
  paths: ["vitest", "fast-check", "playwright-core"].map((name) => ({
    name,
    message: "Product code imports no test tooling.",
  })),
  patterns: [
    {
      regex: "(?:^|/|\\.)testing(?:\\.ts)?$",
      message: "Test support (*.testing.ts, src-main/protocol/testing.ts) is for tests only.",
    },
    { regex: "^(?:\\.\\./)+(?:test|e2e)/", message: "Product code imports nothing from test/ or e2e/." },
  ],
};
/** Outside src-main/protocol/: only its public face, index.ts (and, for tests, the test face testing.ts). */
const protocolFace = ({ tests }) => {
  const face = tests ? "(?:index|testing)" : "index";
  const message = tests
    ? "Import the protocol core through src-main/protocol/index.ts, or src-main/protocol/testing.ts in tests."
    : "Import the protocol core through src-main/protocol/index.ts only.";
  return {
    patterns: [
      { regex: `(?:^|/)src-main/protocol/(?!${face}(?:\\.ts)?$)`, message },
      // From elsewhere in src-main/: ../protocol/..., ../../protocol/...
      { regex: `^(?:\\.\\./)+protocol/(?!${face}(?:\\.ts)?$)`, message },
    ],
  };
};
/** Inside src-main/protocol/ at `depth` directories below it: nothing outside it but src-shared/ (and test/ for tests). */
const staysInProtocol = (depth, { tests }) => {
  const allowed = tests ? "(?:src-shared|test)/" : "src-shared/";
  return {
    patterns: [
      {
        regex: `^(?:\\.\\./){${depth + 1}}(?!\\.\\./${allowed})`,
        message: `src-main/protocol/ imports nothing outside itself but src-shared/${tests ? " (tests: and test/)" : ""}.`,
      },
    ],
  };
};
const APP_CODE = {
  patterns: [
    {
      regex: "(?:^|/)src-(?:main|shared|renderer)(?:/|$)",
      message:
        "The devserver stands alone: it imports nothing from the app (src-main/, src-shared/, src-renderer/).",
    },
  ],
};

const layer = (files, ignores, ...blocks) => ({
  files,
  ignores,
  rules: { "no-restricted-imports": ["error", restrictions(...blocks)] },
});

/** Directory depths below src-main/protocol/ that the rules cover (it is 3 deep today). */
const PROTOCOL_DEPTHS = [0, 1, 2, 3, 4, 5, 6];
const protocolGlob = (depth, name) => `src-main/protocol/${"*/".repeat(depth)}${name}`;

export const LAYER_RULES = [
  // The protocol core: pure TypeScript, no Node, no React, no Electron, nothing outside itself but src-shared/.
  ...PROTOCOL_DEPTHS.map((depth) =>
    layer(
      [protocolGlob(depth, "*.ts")],
      TEST_FILES,
      ELECTRON,
      NODE_BUILTINS,
      REACT,
      TEST_SUPPORT,
      staysInProtocol(depth, { tests: false }),
    ),
  ),
  // Its tests and test support: the same, but they may use test support and test/ (fixtures).
  ...PROTOCOL_DEPTHS.map((depth) =>
    layer(
      [
        protocolGlob(depth, "*.test.ts"),
        protocolGlob(depth, "*.testing.ts"),
        ...(depth === 0 ? ["src-main/protocol/testing.ts"] : []),
      ],
      [],
      ELECTRON,
      NODE_BUILTINS,
      REACT,
      staysInProtocol(depth, { tests: true }),
    ),
  ),
  // The Electron shell: electron and Node are its business; the protocol only through its face.
  layer(["src-main/electron/**/*.ts"], TEST_FILES, protocolFace({ tests: false }), TEST_SUPPORT),
  // The rest of the product (src-main outside protocol/ and electron/, src-shared, the renderer).
  layer(
    ["src-main/**/*.ts", "src-shared/**/*.ts", "src-renderer/**/*.{ts,tsx}"],
    ["src-main/protocol/**", "src-main/electron/**", ...TEST_FILES],
    ELECTRON,
    protocolFace({ tests: false }),
    TEST_SUPPORT,
  ),
  // Their tests and test support.
  layer(["src-main/electron/**/*.{test,testing}.ts"], [], protocolFace({ tests: true })),
  layer(
    [
      "src-main/**/*.{test,testing}.ts",
      "src-shared/**/*.{test,testing}.ts",
      "src-renderer/**/*.{test,testing}.{ts,tsx}",
    ],
    ["src-main/protocol/**", "src-main/electron/**"],
    ELECTRON,
    protocolFace({ tests: true }),
  ),
  // The devserver stands alone.
  layer(["devserver/**/*.ts"], TEST_FILES, ELECTRON, APP_CODE, TEST_SUPPORT),
  layer(["devserver/**/*.{test,testing}.ts"], [], ELECTRON, APP_CODE),
  // Tests and tools (benchmarks, fuzzers, stress runs) outside the product tree.
  layer(["test/**/*.ts", "e2e/**/*.ts", "scripts/**/*.ts"], [], protocolFace({ tests: true })),
];

export default tseslint.config(
  { ignores: ["out/**", "node_modules/**", "coverage/**", "test-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  {
    files: ["src-renderer/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    languageOptions: {
      parserOptions: { project: "./tsconfig.web.json", projectService: false },
      globals: { ...globals.browser },
    },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  ...LAYER_RULES,
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
