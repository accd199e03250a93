// Every file a tracked file refers to must exist in the repository, so that a reader who follows a citation (a
// "docs/protocol.md §3.2" in a comment, a relative path, a Markdown link) finds it. Scanned: the comments of
// TypeScript and JavaScript files (their code is checked by the compiler), and the whole text of Markdown, HTML and
// shell files. A reference is a path or file name ending in one of REFERENCE_EXTENSIONS. URLs are skipped; a path
// into an installed package (`electron/package.json`) resolves in node_modules; a path git ignores
// (`out/node/devserver.js`, `test-results/…`) names generated output and is not checked.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = normalize(join(import.meta.dirname, "../.."));
const REFERENCE_EXTENSIONS = [
  "md",
  "ts",
  "tsx",
  "mts",
  "cts",
  "js",
  "mjs",
  "cjs",
  "json",
  "sh",
  "html",
  "css",
];
/** A path or file name: optional ./ or ../ steps, segments, a final name with one of the extensions. */
const REFERENCE = new RegExp(
  String.raw`(?<![\w@./$~-])((?:\.{1,2}/)*(?:[\w.-]+/)*[\w-][\w.-]*\.(?:${REFERENCE_EXTENSIONS.join("|")}))(?![\w/-])`,
  "g",
);
const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s)>\]"'`]*/gi;
/**
 * Words that look like file names and are not files of the repository: product names, and the files the app
 * writes into a profile folder at run time (src-main/matrix/profile.ts).
 */
const NOT_FILES = new Set(["Node.js", "profile.json", "secrets.json", "crypto-store.snapshot"]);

interface Reference {
  readonly file: string;
  readonly line: number;
  readonly reference: string;
}

interface Part {
  readonly offset: number;
  readonly text: string;
}

function trackedFiles(): string[] {
  return execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter((file) => file !== "" && !file.split("/").includes("node_modules"));
}

function candidatesIn(text: string): RegExpMatchArray[] {
  return [...text.replace(URL_PATTERN, (url) => " ".repeat(url.length)).matchAll(REFERENCE)];
}

/** The comments of a TypeScript or JavaScript file, each with its offset in the text. */
function commentsOf(file: string, text: string): Part[] {
  const kind = file.endsWith(".tsx")
    ? ts.ScriptKind.TSX
    : /\.[mc]?js$/.test(file)
      ? ts.ScriptKind.JS
      : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const comments = new Map<number, Part>();
  const collect = (ranges: readonly ts.CommentRange[] | undefined): void => {
    for (const { pos, end } of ranges ?? []) comments.set(pos, { offset: pos, text: text.slice(pos, end) });
  };
  // Every token's leading and trailing trivia: getChildren() includes punctuation tokens, so a comment alone
  // before a closing brace is found too.
  const visit = (node: ts.Node): void => {
    collect(ts.getLeadingCommentRanges(text, node.pos));
    collect(ts.getTrailingCommentRanges(text, node.end));
    for (const child of node.getChildren(source)) visit(child);
  };
  visit(source);
  return [...comments.values()];
}

/** The parts of a file that may cite other files; undefined for files not scanned (JSON, lockfiles, images). */
function scannedParts(file: string, text: string): readonly Part[] | undefined {
  if (/\.[mc]?[jt]sx?$/.test(file)) {
    // Parsing is the slow part: skip it when nothing in the file looks like a reference at all.
    return candidatesIn(text).length === 0 ? [] : commentsOf(file, text);
  }
  if (/\.(?:md|html|sh)$/.test(file) || /^#!.*\b(?:ba)?sh\b/.test(text)) return [{ offset: 0, text }];
  return undefined;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (
    let index = text.indexOf("\n");
    index !== -1 && index < offset;
    index = text.indexOf("\n", index + 1)
  ) {
    line++;
  }
  return line;
}

function referencesIn(file: string, text: string): Reference[] {
  const found: Reference[] = [];
  for (const part of scannedParts(file, text) ?? []) {
    for (const match of candidatesIn(part.text)) {
      const reference = match[1] ?? "";
      if (NOT_FILES.has(reference) || reference.split("/").includes("node_modules")) continue;
      found.push({ file, line: lineAt(text, part.offset + (match.index ?? 0)), reference });
    }
  }
  return found;
}

/** Where a reference points, relative to the root: ./ and ../ paths from the citing file, others as written. */
function rootPath({ reference, file }: Reference): string {
  return reference.startsWith("./") || reference.startsWith("../")
    ? normalize(join(dirname(file), reference))
    : normalize(reference);
}

/**
 * Whether a reference names something that exists: a ./ or ../ path relative to the citing file; otherwise a path
 * relative to the citing file or to the root, the tail of a tracked path (`protocol/index.ts`, a bare
 * `schemas.ts`), or a file of an installed package (`electron/package.json`).
 */
function resolves(ref: Reference, tracked: ReadonlySet<string>, trackedList: readonly string[]): boolean {
  const { reference, file } = ref;
  if (reference.startsWith("./") || reference.startsWith("../")) return tracked.has(rootPath(ref));
  if (tracked.has(normalize(join(dirname(file), reference))) || tracked.has(rootPath(ref))) return true;
  if (trackedList.some((path) => path.endsWith(`/${reference}`))) return true;
  return reference.includes("/") && existsSync(join(ROOT, "node_modules", reference));
}

/** The paths among `paths` that git ignores: build output and reports, which no commit can make exist. */
function ignoredByGit(paths: readonly string[]): Set<string> {
  const inside = paths.filter((path) => !path.startsWith(".."));
  if (inside.length === 0) return new Set();
  const result = spawnSync("git", ["check-ignore", "--stdin"], {
    cwd: ROOT,
    input: inside.join("\n"),
    encoding: "utf8",
  });
  // Exit status 1: none of them is ignored.
  if (result.status !== 0 && result.status !== 1)
    throw new Error(`git check-ignore failed: ${result.stderr}`);
  return new Set(result.stdout.split("\n").filter((line) => line !== ""));
}

function brokenReferences(files: readonly string[]): string[] {
  const tracked = new Set(files);
  const unresolved = files
    .flatMap((file) => referencesIn(file, readFileSync(join(ROOT, file), "utf8")))
    .filter((ref) => !resolves(ref, tracked, files));
  const generated = ignoredByGit(unresolved.filter(({ reference }) => reference.includes("/")).map(rootPath));
  return unresolved
    .filter((ref) => !generated.has(rootPath(ref)))
    .map(({ file, line, reference }) => `${file}:${line}: ${reference}`);
}

describe("references between files", () => {
  const files = trackedFiles();

  it("reads references from comments only in code, from all of a Markdown file, and never from URLs", () => {
    const code = [
      "// see ../grammar.ts and docs/protocol.md §3, not https://example.org/elsewhere.md",
      'import kat from "../../test/fixtures/msc4108-kat.json"; // and ./foo.ts',
      'const path = "docs/in-a-string.md";',
      "/* a block comment naming src-main/protocol/index.ts */",
      "if (path) {",
      "  // before a closing brace: docs/ux.md",
      "}",
    ].join("\n");
    expect(referencesIn("src-main/protocol/messages/example.ts", code)).toEqual([
      { file: "src-main/protocol/messages/example.ts", line: 1, reference: "../grammar.ts" },
      { file: "src-main/protocol/messages/example.ts", line: 1, reference: "docs/protocol.md" },
      { file: "src-main/protocol/messages/example.ts", line: 2, reference: "./foo.ts" },
      { file: "src-main/protocol/messages/example.ts", line: 4, reference: "src-main/protocol/index.ts" },
      { file: "src-main/protocol/messages/example.ts", line: 6, reference: "docs/ux.md" },
    ]);
    const markdown =
      "See [the steps](protocol.md#5-the-flows) and `@noble/hashes/sha2.js`, <https://x.org/a.md>.";
    expect(referencesIn("docs/example.md", markdown).map(({ reference }) => reference)).toEqual([
      "protocol.md",
    ]);
  });

  it("resolves paths from the citing file, from the root, by their tail, and into installed packages", () => {
    const tracked = new Set(files);
    const at = (file: string, reference: string): boolean =>
      resolves({ file, line: 1, reference }, tracked, files);
    expect(at("src-main/protocol/messages/model.ts", "../grammar.ts")).toBe(true);
    expect(at("src-main/protocol/messages/model.ts", "./grammar.ts")).toBe(false);
    expect(at("docs/ARCHITECTURE.md", "protocol.md")).toBe(true);
    expect(at("src-main/protocol/channel/v2025.ts", "docs/protocol.md")).toBe(true);
    expect(at("docs/ARCHITECTURE.md", "protocol/index.ts")).toBe(true);
    expect(at("docs/testing.md", "electron/package.json")).toBe(true);
    expect(at("src-main/protocol/types.ts", ["PROTOCOL", "md"].join("."))).toBe(false);
    expect(at("src-main/protocol/types.ts", "docs/no-such-page.md")).toBe(false);
  });

  it("every file a tracked file names exists", { timeout: 60_000 }, () => {
    const broken = brokenReferences(files);
    expect(broken, `references to files that do not exist:\n${broken.join("\n")}`).toEqual([]);
  });
});
