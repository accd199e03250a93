// What every part of the flow benchmark shares: the settings it runs with, and the devserver and signed-in
// existing devices it measures against (made once, on first use).
import type { Devserver } from "../../devserver/index";
import type { JsSdkWorld } from "./e2e-js-sdk";
import type { OurWorld } from "./e2e-ours";

export interface Settings {
  readonly quick: boolean;
  /** Ping-pongs per pair; the figures are medians over all their hops. */
  readonly repetitions: number;
  readonly messages: number;
  /** End-to-end runs per pair and direction; the figures are their medians. */
  readonly e2eRuns: number;
  /** How long the person holds the check code, and then the consent, in part 3. */
  readonly holdMs: number;
}

export function settingsFrom(argv: readonly string[]): Settings {
  const unknown = argv.filter((arg) => arg !== "--quick" && arg !== "--");
  if (unknown.length > 0)
    throw new Error(`unknown argument ${unknown.join(" ")}; usage: bench:flow [-- --quick]`);
  const quick = argv.includes("--quick");
  return {
    quick,
    repetitions: quick ? 1 : 5,
    messages: quick ? 6 : 12,
    e2eRuns: quick ? 1 : 5,
    holdMs: quick ? 1_000 : 20_000,
  };
}

export interface BenchContext {
  readonly server: Devserver;
  readonly settings: Settings;
  /** Our existing device (alice), made on first use. */
  ours(): Promise<OurWorld>;
  /** matrix-js-sdk's existing device (bob), made on first use. */
  jsSdk(): Promise<JsSdkWorld>;
}

export interface Part {
  readonly title: string;
  run(context: BenchContext): Promise<void>;
}
