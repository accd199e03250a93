// `work`, or the signal's reason as soon as it aborts: a `fetch` or a body read that ignores its signal (a scripted
// one, a stream whose source never ends) cannot outlive it. Used by the rendezvous transport and the Matrix client's
// HTTP layer, which both bound every request by a signal.

export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // `work` has started and will fail with the same abort (a fetch or a body read under this signal): its outcome
    // is reported as the signal's reason here, and must not surface again as an unhandled rejection.
    work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  let onAbort: () => void = () => undefined;
  // Settles only by the abort; once `work` wins, the listener goes and this promise is simply never settled.
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => {
    signal.removeEventListener("abort", onAbort);
  });
}
