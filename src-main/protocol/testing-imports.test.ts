// Test-only faces (`*.testing.ts`, such as channel/internals.testing.ts) reach past the product's guarantees: a
// channel keyed without a checked QR code, the key schedules' intermediate values. Only tests may import them.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const PRODUCT_TREES = ["src-main", "src-shared", "src-renderer", "devserver"];
const TEST_FILE = /\.(test|testing)\.tsx?$/;
const TESTING_IMPORT = /(?:from|import)\s*\(?\s*["'][^"']*\.testing(?:\.ts)?["']/;

function productFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : productFiles(path);
    return /\.tsx?$/.test(entry.name) && !TEST_FILE.test(entry.name) ? [path] : [];
  });
}

describe("test-only modules", () => {
  it("no product module imports a *.testing.ts file", () => {
    const files = PRODUCT_TREES.flatMap((tree) => productFiles(join(ROOT, tree)));
    expect(files.length).toBeGreaterThan(50);
    const offenders = files
      .filter((file) => TESTING_IMPORT.test(readFileSync(file, "utf8")))
      .map((file) => relative(ROOT, file));
    expect(offenders).toEqual([]);
  });
});
