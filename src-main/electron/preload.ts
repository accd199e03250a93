// The preload exposes a tiny, named surface to the sandboxed renderer. The IPC contract that later issues
// add lives in src-shared/; nothing generic (no raw ipcRenderer) ever crosses the bridge.
import { contextBridge } from "electron";

contextBridge.exposeInMainWorld("matrixQrLogin", {
  host: "electron",
} as const);
