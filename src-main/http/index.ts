// HTTP to servers we do not control, shared by the OAuth client and the Matrix client-server API: the bounded,
// transcript-recording fetch, the transport policy (https, or http to loopback when allowed) and their errors.
export { createBoundedFetch, type BoundedFetch, type BoundedFetchOptions } from "./bounded-fetch";
export { HttpTransportError, isHttpTransportError, type HttpTransportErrorCode } from "./errors";
export { checkTransport, isLoopbackAuthority, isLoopbackHost, transportProblem } from "./transport-policy";
