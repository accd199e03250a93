// The e2e lane's global setup: the renderer's production build, once for every file of the lane
// (out/renderer-e2e). A build is tens of seconds of a 2-core machine; one per file cost minutes of the lane.
import { rm } from "node:fs/promises";
import { E2E_RENDERER_DIR, buildRenderer } from "./renderer-page";

export default async function setup(): Promise<void> {
  await rm(E2E_RENDERER_DIR, { recursive: true, force: true });
  await buildRenderer(E2E_RENDERER_DIR);
}
