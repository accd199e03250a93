// The contract's command and event names, and the Electron IPC channel each travels on, without the schemas: the
// sandboxed preload builds its named functions from these lists and must not bundle zod (src-shared/contract.ts
// holds the schemas and checks, at compile time, that its COMMANDS and EVENTS have exactly these names).

export const COMMAND_NAMES = [
  "flow.start",
  "flow.command",
  "account.get",
  "account.login",
  "account.bootstrap",
  "account.recover",
  "account.resetIdentity",
  "account.devices",
  "account.signOut",
  "account.signOutDevice",
  "settings.set",
  "doctor.run",
  "transcript.export",
  "app.openExternal",
  "demo.tryLocally",
  "demo.status",
  "demo.setSynapseTiming",
  "demo.sendQrToOtherWindow",
] as const;

export const EVENT_NAMES = [
  "flow.snapshot",
  "transcript.entry",
  "account.state",
  "app.openRequest",
  "demo.state",
  "demo.scanImage",
] as const;

export type CommandNameList = (typeof COMMAND_NAMES)[number];
export type EventNameList = (typeof EVENT_NAMES)[number];

/** The one IPC channel a command travels on (one `ipcMain.handle` each; no generic channel exists). */
export function commandChannel(name: CommandNameList): string {
  return `matrixQrLogin:command:${name}`;
}

/** The one IPC channel an event travels on, main to renderer. */
export function eventChannel(name: EventNameList): string {
  return `matrixQrLogin:event:${name}`;
}
