// The cli lane's global setup: builds the Node bundle once, into out/cli-test, for every file of the lane
// (test/helpers/cli.ts starts it). One build instead of one per file: the files run side by side.
import { buildCli, CLI_TEST_OUT } from "../helpers/cli";

export default function setup(): void {
  buildCli(CLI_TEST_OUT);
}
