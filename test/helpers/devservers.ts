// In-process devservers for one test each: started with a suite's defaults (plus what the test adds) and closed
// after the test, whatever it did.
//
//   const start = useDevservers({ testHooks: true });
//   it("...", async () => {
//     const server = await start({ users: ["alice:secret"] });
import { afterEach } from "vitest";
import { startDevserver, type Devserver, type DevserverOptions } from "../../devserver/index";

/** Registers an `afterEach` that closes every devserver the returned starter started during the test. */
export function useDevservers(
  defaults: DevserverOptions = {},
): (options?: DevserverOptions) => Promise<Devserver> {
  const started: Devserver[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.close()));
  });
  return async (options = {}) => {
    const server = await startDevserver({ ...defaults, ...options });
    started.push(server);
    return server;
  };
}
