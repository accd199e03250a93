// How a flow ends a conversation it cannot finish (docs/protocol.md §5, "cancelling"): tell the peer with
// `m.login.failure` when that cannot hurt, otherwise only delete the rendezvous.
//
// The rules, and why:
// - Before the channel is established there is nobody to tell securely: only DELETE (the peer sees the session
//   vanish).
// - The scanner's channel is established once it has read LoginOk, but the showing device reads nothing over it
//   until its user has typed the check code (docs/protocol.md §5, "before the check code"), and a scanner that
//   cancels no longer shows that code. So until a message from the peer proves it reads the channel, the scanner
//   only deletes, too: a failure written then would lie unread until the session's end, and the showing device
//   would learn of the cancel only then.
// - On an established channel, write `m.login.failure` only when it is our turn. Both channels number messages
//   implicitly, so writing over our own message that the peer has not read yet would make the peer fail to open
//   the next one and report `insecure_channel` instead of the cancel.
// - When our message is still unread, wait a little (`cancelLingerMs`) for the peer's answer: then it is our turn
//   and the failure can go. If no answer comes, delete the rendezvous.
// - After a failure has been written the rendezvous is left to expire, so that the peer can still read it.
import { stepEntry } from "../../src-shared/transcript";
import type { KnownFailureReason, RendezvousSession, SecureSession } from "../protocol";
import type { FlowHost } from "./host";
import type { FlowTimings } from "./options";

/** What a flow holds of the conversation at a given moment. */
export interface Conversation {
  /** Set as soon as a rendezvous exists; cleared once it is left to expire (the peer may still read it). */
  rendezvous?: RendezvousSession | undefined;
  /** Set once the channel is established; cleared once the conversation is over on our side. */
  secure?: SecureSession | undefined;
  /**
   * Whether the peer reads what we write on the channel: the showing device once its user typed the check code,
   * the scanner once a message from the peer came over it.
   */
  peerReads?: boolean;
}

/**
 * Ends the conversation: sends `m.login.failure {reason}` when the rules above allow (reason given), else
 * deletes the rendezvous. Never throws: the flow is ending with its own error already; what fails here is
 * written to the transcript.
 */
export async function endConversation(
  conversation: Conversation,
  reason: KnownFailureReason | undefined,
  host: FlowHost,
  timings: FlowTimings,
): Promise<void> {
  const { rendezvous, secure } = conversation;
  conversation.secure = undefined;
  conversation.rendezvous = undefined;
  const note = (detail: string): void => {
    host.transcript(stepEntry({ layer: "flow", name: "cleanup failed", detail, time: host.now() }));
  };
  // The failure's write and the DELETE each get the linger time, and at least a second: a slow network must not
  // turn a cancel into silence.
  const timeoutMs = Math.max(timings.cancelLingerMs, 1_000);
  try {
    if (secure !== undefined && reason !== undefined) {
      // An answer to our unread message proves the peer reads the channel.
      if (!secure.ourTurn && (await lingerForAnswer(secure, host, timings))) conversation.peerReads = true;
      if (secure.ourTurn && conversation.peerReads === true) {
        const signal = timeoutSignal(host, timeoutMs);
        try {
          await secure.sendMessage({ type: "m.login.failure", reason }, { signal: signal.signal });
          secure.close();
          return;
        } catch (error) {
          // Not written (or not known to be): delete instead, so the peer learns of the end now, not at expiry.
          note(error instanceof Error ? error.message : String(error));
        } finally {
          signal.dispose();
        }
      }
    }
    secure?.close();
    await rendezvous?.cancel({ timeoutMs });
  } catch (error) {
    note(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Waits up to `cancelLingerMs` for the peer's answer to our unread message; its content no longer matters. Whether
 * an answer came.
 */
async function lingerForAnswer(
  secure: SecureSession,
  host: FlowHost,
  timings: FlowTimings,
): Promise<boolean> {
  const signal = timeoutSignal(host, timings.cancelLingerMs);
  try {
    await secure.receiveMessage({ signal: signal.signal, schedule: timings.machineReply });
    return true;
  } catch {
    // No answer in time, the session is gone, or the answer did not open: either way we only delete.
    return false;
  } finally {
    signal.dispose();
  }
}

/** An AbortSignal that aborts after `ms` on the host's clock (not real time: tests run on virtual clocks). */
export function timeoutSignal(host: FlowHost, ms: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const stop = new AbortController();
  host.sleep(ms, stop.signal).then(
    () => {
      controller.abort(new DOMException(`no answer within ${ms} ms`, "TimeoutError"));
    },
    () => undefined,
  );
  return {
    signal: controller.signal,
    dispose: () => {
      stop.abort();
    },
  };
}

/** A signal that aborts with either parent, and can be aborted on its own. */
export function childSignal(parent: AbortSignal): { signal: AbortSignal; abort: () => void } {
  const own = new AbortController();
  return {
    signal: AbortSignal.any([parent, own.signal]),
    abort: () => {
      own.abort(new DOMException("no longer needed", "AbortError"));
    },
  };
}
