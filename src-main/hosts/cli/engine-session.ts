// The engine as the command line runs it: one profile (named under the shared data root, or a folder), the lock
// held as "cli", URLs printed (and opened in human mode where a browser can be), plain http to loopback only when
// asked. Background failures go to stderr, redacted, with --verbose.
import { redactText } from "../../../src-shared/logger";
import { createEngine, type Engine } from "../../engine";
import type { ProfileLocation } from "../../matrix";
import type { CommonArgs } from "./args";
import type { CliStreams, Output } from "./io";
import { cliOpenUrl, type PageShown } from "./open-url";
import { timingsFromEnvironment } from "./timings";

export interface EngineSessionOptions {
  readonly common: CommonArgs;
  readonly streams: CliStreams;
  readonly out: Output;
  /** Another profile than the one the command line names (the doctor's throwaway one). */
  readonly location?: ProfileLocation;
  /** Told what became of each page opened in human mode (the flow's screen words the consent step by it). */
  readonly onPage?: PageShown;
}

export function openEngine(options: EngineSessionOptions): Promise<Engine> {
  const { common, streams, out } = options;
  const timings = timingsFromEnvironment(streams.env);
  return createEngine({
    ...(timings === undefined ? {} : { timings }),
    location: options.location ?? common.location,
    app: "cli",
    allowInsecureHttp: common.allowInsecureHttp,
    openUrl: cliOpenUrl(streams, out, options.onPage),
    onError: (error) => {
      if (!common.verbose) return;
      const text =
        error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
      out.say(`[background] ${redactText(text, 2000)}`);
    },
  });
}
