// The message exchange both roles share: wait for the peer's next login message and read it as one of the
// types the protocol allows at this step, or end the conversation the way MSC4108 says (docs/protocol.md §5):
// a peer's `m.login.failure` becomes its reason's error; anything else unexpected is answered with
// `m.login.failure unexpected_message_received` and ends the flow.
import { FlowFailure, flowError, receivedFailureToFlowError, type FlowError } from "../../src-shared/errors";
import {
  isProtocolError,
  type KnownFailureReason,
  type LoginMessage,
  type LoginMessageType,
  type PollSchedule,
  type ProtocolError,
  type SecureSession,
} from "../protocol";
import type { Conversation } from "./conversation";

type MessageOf<T extends LoginMessageType> = Extract<LoginMessage, { type: T }>;

/** Receives the peer's next message, which must be one of `types` (or a failure, which ends the flow). */
export async function expectMessage<T extends LoginMessageType>(
  conversation: Conversation,
  session: SecureSession,
  types: readonly T[],
  options: { readonly signal: AbortSignal; readonly schedule: PollSchedule; readonly step: string },
): Promise<MessageOf<T>> {
  let message: LoginMessage;
  try {
    message = await session.receiveMessage(options);
    conversation.peerReads = true;
  } catch (error) {
    if (!isProtocolError(error, "invalid_message") || !session.ourTurn) throw error;
    // The channel opened it, but it is not a message we can read: tell the peer rather than vanish.
    return answerMalformed(conversation, session, error, options.signal);
  }
  if ((types as readonly string[]).includes(message.type)) return message as MessageOf<T>;
  if (message.type === "m.login.failure") {
    // The peer ended it; it will not read anything more from us.
    conversation.secure = undefined;
    session.close();
    const reason = typeof message.reason === "string" ? message.reason : message.reason.unknown;
    throw new FlowFailure(receivedFailureToFlowError(reason));
  }
  return failWith(
    conversation,
    session,
    "unexpected_message_received",
    flowError("unexpected_message", `received ${message.type} where ${types.join(" or ")} was due`),
    options.signal,
  );
}

/**
 * A message that opened but does not read as the protocol's (a missing field, a consent URL that is no https URL):
 * the peer hears `unexpected_message_received`, or, for an unusable consent URL, what the existing device says when
 * it cannot open one (A-G8 / B-S7). The reader names the field in its message (messages/parse.ts).
 */
function answerMalformed(
  conversation: Conversation,
  session: SecureSession,
  error: ProtocolError,
  signal: AbortSignal,
): Promise<never> {
  if (/^m\.login\.protocol \(/.test(error.message) && error.message.includes("verification_uri")) {
    return failWith(
      conversation,
      session,
      session.version === "v2025" ? "unable_to_open_verification_uri" : "user_cancelled",
      flowError(
        "protocol_error",
        `the new device sent a consent page we must not open: ${error.message}`,
        "verification_uri_not_a_url",
      ),
      signal,
    );
  }
  return failWith(
    conversation,
    session,
    "unexpected_message_received",
    flowError("protocol_error", error.message, "invalid_message"),
    signal,
  );
}

/**
 * Tells the peer why we stop (`m.login.failure {reason}`, our turn) and ends the flow with `error`. The peer is
 * told first: an error in telling it is written to the transcript by the sender and does not hide ours.
 */
export async function failWith(
  conversation: Conversation,
  session: SecureSession,
  reason: KnownFailureReason,
  error: FlowError,
  signal: AbortSignal,
): Promise<never> {
  conversation.secure = undefined;
  try {
    if (session.ourTurn) {
      await session.sendMessage({ type: "m.login.failure", reason }, { signal });
      // Left to expire rather than deleted, so that the peer reads why.
      conversation.rendezvous = undefined;
    }
  } catch {
    // The flow ends with `error` either way; the rendezvous layer already recorded what went wrong.
  } finally {
    session.close();
  }
  throw new FlowFailure(error);
}
