// GET /_matrix/client/versions. MSC4108 v2024 is discovered through `unstable_features["org.matrix.msc4108"]`;
// MSC4388 has no flag here (Synapse 1.160 has none: clients discover it with `GET …/rendezvous`).
import { sendJson, type RequestHandler } from "./http";
import { createRouter } from "./router";

/** Spec versions advertised: v1.15 is the oldest the app needs, v1.18 added the device authorization grant. */
export const SUPPORTED_VERSIONS: readonly string[] = Array.from(
  { length: 18 },
  (_, index) => `v1.${index + 1}`,
);

export function createVersionsHandler(options: { msc4108: boolean }): RequestHandler {
  return createRouter([
    {
      method: "GET",
      path: "/_matrix/client/versions",
      handle: ({ res }) => {
        sendJson(res, 200, {
          versions: SUPPORTED_VERSIONS,
          unstable_features: { "org.matrix.msc4108": options.msc4108 },
        });
      },
    },
  ]);
}
