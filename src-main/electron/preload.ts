// The preload (sandboxed, CommonJS): it exposes `window.matrixQrLogin` to the page with one named function per
// command of the contract and one subscribe function per event, each bound to its own IPC channel; nothing generic
// (no ipcRenderer, no channel parameter) crosses the bridge. It imports only the contract's name list, not its
// schemas: the page checks what it sends and receives, and the main process checks everything again.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from "electron";
import { COMMAND_NAMES, EVENT_NAMES, commandChannel, eventChannel } from "../../src-shared/contract-names";

const commands = Object.fromEntries(
  COMMAND_NAMES.map((name) => {
    const channel = commandChannel(name);
    return [name, (request: unknown): Promise<unknown> => ipcRenderer.invoke(channel, request)];
  }),
);

const events = Object.fromEntries(
  EVENT_NAMES.map((name) => {
    const channel = eventChannel(name);
    const subscribe = (listener: (payload: unknown) => void): (() => void) => {
      // The page's listener sees the payload only, never the IPC event (which carries the sender).
      const handler = (_event: IpcRendererEvent, payload: unknown) => {
        listener(payload);
      };
      ipcRenderer.on(channel, handler);
      return () => {
        ipcRenderer.removeListener(channel, handler);
      };
    };
    return [name, subscribe];
  }),
);

contextBridge.exposeInMainWorld("matrixQrLogin", { host: "electron", commands, events });
