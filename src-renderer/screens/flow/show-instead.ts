// "Show a QR code instead": leaves a flow where this device scans and starts the same kind of flow with this
// device showing the QR code. A new device without a homeserver chooses one first, as from the sign-in choice.
import type { FlowRole } from "../../../src-shared/flow";
import { useApp, useAppStore } from "../../app-context";

export function useShowQrInstead(role: FlowRole): () => Promise<void> {
  const store = useAppStore();
  const leaveFlow = useApp((state) => state.leaveFlow);
  const startFlow = useApp((state) => state.startFlow);
  const go = useApp((state) => state.go);
  return async () => {
    await leaveFlow();
    if (role === "existing_device") {
      await startFlow({ kind: "link", side: "show" });
      return;
    }
    const homeserver = store.getState().account?.settings.homeserver;
    if (homeserver === undefined || homeserver === "") go("homeserver", { afterHomeserver: "show_qr" });
    else await startFlow({ kind: "sign_in", side: "show", homeserver });
  };
}
