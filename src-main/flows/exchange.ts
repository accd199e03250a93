// The message exchange both roles share: wait for the peer's next login message and read it as one of the
// types the protocol allows at this step, or end the conversation the way MSC4108 says (docs/protocol.md §5):
// a peer's `m.login.failure` becomes its reason's error; anything else unexpected is answered with
// `m.login.failure unexpected_message_received` and ends the flow.
import { FlowFailure, flowError, receivedFailureToFlowError, type FlowError } from "../../src-shared/errors";
import type {
  KnownFailureReason,
  LoginMessage,
  LoginMessageType,
  PollSchedule,
  SecureSession,
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
  const message = await session.receiveMessage(options);
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
