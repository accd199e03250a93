// The packaging configuration (electron-builder.json; electron-builder itself is not a dependency here, so this
// is configuration only, checked for shape): the fuses that close Electron's side doors, what goes into the
// package, each platform's targets, the macOS camera usage text and entitlement, and the icons it names.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ROOT } from "./electron-build";

const config: unknown = JSON.parse(readFileSync(join(ROOT, "electron-builder.json"), "utf8"));
const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  productName: string;
  main: string;
};

const resource = z
  .string()
  .refine((path) => existsSync(join(ROOT, path)), "names a file that does not exist");

const builderSchema = z.strictObject({
  appId: z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+){2,}$/),
  productName: z.literal(packageJson.productName),
  directories: z.strictObject({ output: z.string(), buildResources: z.literal("resources") }),
  files: z.array(z.string()),
  asar: z.literal(true),
  // Electron's checklist: no run-as-node, no NODE_OPTIONS or --inspect, only the app's own asar, checked.
  electronFuses: z.strictObject({
    runAsNode: z.literal(false),
    enableCookieEncryption: z.literal(true),
    enableNodeOptionsEnvironmentVariable: z.literal(false),
    enableNodeCliInspectArguments: z.literal(false),
    enableEmbeddedAsarIntegrityValidation: z.literal(true),
    onlyLoadAppFromAsar: z.literal(true),
    loadBrowserProcessSpecificV8Snapshot: z.boolean(),
    grantFileProtocolExtraPrivileges: z.literal(false),
  }),
  linux: z.strictObject({
    target: z.array(z.enum(["AppImage", "deb", "rpm", "snap", "tar.gz"])),
    category: z.string(),
    icon: resource,
    executableName: z.string().regex(/^[a-z0-9-]+$/),
    maintainer: z.string().min(1),
    synopsis: z.string().max(80),
  }),
  mac: z.strictObject({
    target: z.array(z.enum(["dmg", "zip", "pkg"])),
    category: z.string().startsWith("public.app-category."),
    icon: resource,
    hardenedRuntime: z.literal(true),
    entitlements: resource,
    entitlementsInherit: resource,
    extendInfo: z.strictObject({ NSCameraUsageDescription: z.string().min(20) }),
  }),
  win: z.strictObject({ target: z.array(z.enum(["nsis", "portable", "zip"])), icon: resource }),
  nsis: z.strictObject({ oneClick: z.boolean(), perMachine: z.boolean() }),
});

describe("the packaging configuration", () => {
  it("has the expected shape: every key known, every fuse set, every file it names present", () => {
    const parsed = builderSchema.safeParse(config);
    expect(
      parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    ).toEqual([]);
  });

  it("builds AppImage and deb on Linux, a signed-runtime app on macOS, an installer on Windows", () => {
    const parsed = builderSchema.parse(config);
    expect(parsed.linux.target).toEqual(expect.arrayContaining(["AppImage", "deb"]));
    expect(parsed.mac.target.length).toBeGreaterThan(0);
    expect(parsed.win.target).toContain("nsis");
  });

  it("packages the built app and nothing else, from the entry package.json names", () => {
    const { files } = builderSchema.parse(config);
    expect(files).toEqual(
      expect.arrayContaining(["out/main/**", "out/preload/**", "out/renderer/**", "package.json"]),
    );
    expect(
      files.filter(
        (pattern) => !pattern.startsWith("!") && !pattern.startsWith("out/") && pattern !== "package.json",
      ),
    ).toEqual([]);
    expect(packageJson.main).toBe("./out/main/index.js");
  });

  it("gives macOS the camera entitlement the scanner needs", () => {
    const { mac } = builderSchema.parse(config);
    const plist = readFileSync(join(ROOT, mac.entitlements), "utf8");
    expect(plist).toMatch(/<key>com\.apple\.security\.device\.camera<\/key>\s*<true\/>/);
    expect(plist).not.toContain("com.apple.security.device.audio-input");
  });

  it("has an icon of at least 512 x 512 pixels, and its SVG source", () => {
    const png = readFileSync(join(ROOT, "resources", "icon.png"));
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1024, 1024]);
    expect(readFileSync(join(ROOT, "resources", "icon.svg"), "utf8")).toContain("<svg");
  });
});
