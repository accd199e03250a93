// MSC4108 login messages: the version-neutral model, reading and writing per wire version, and the safe
// description used by the transcript.
export * from "./model";
export { parseLoginMessage } from "./parse";
export { serializeLoginMessage } from "./serialize";
export { describeLoginMessage, type LoginMessageDescription } from "./describe";
export { classifyHomeserver, type HomeserverLocator } from "./homeserver";
export {
  checkVerificationUri,
  type VerificationUriCheck,
  type VerificationUriContext,
  type VerificationUriProblem,
} from "./verification-uri";
