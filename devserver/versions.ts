// GET /_matrix/client/versions. MSC4108 v2024 is discovered through `unstable_features["org.matrix.msc4108"]`;
// MSC4388 has no flag here (Synapse 1.160 has none: clients discover it with `GET …/rendezvous`).
import { sendJson, type RequestHandler } from "./http";
import { createRouter } from "./router";

/**
 * Spec versions advertised: Synapse 1.160's list (r0.0.1 … r0.6.1, v1.1 …), but up to v1.18 where Synapse stops at
 * v1.12, on purpose: the OAuth 2.0 discovery the app does needs v1.15 and the device authorization grant is v1.18
 * (docs/synapse.md, "Devserver vs Synapse").
 */
export const SUPPORTED_VERSIONS: readonly string[] = [
  ...["r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1"],
  ...Array.from({ length: 18 }, (_, index) => `v1.${index + 1}`),
];

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
