// The numbered steps of the two sign-in directions (docs/protocol.md §5), as data: transcript entries, logs and
// tests name a step by its ID. Direction A: the existing device shows the QR code and the new device scans it;
// direction B: the new device shows it and the existing device scans. G is the side that shows the QR code, S the
// side that scans it. Each role's steps are listed in the order they happen.

export const PROTOCOL_STEPS = {
  "A-G1": "create the rendezvous and show the QR code",
  "A-G2": "receive the initiate message",
  "A-G3": "send the OK message",
  "A-G4": "compare the check code the user types",
  "A-G5": "receive m.login.protocol",
  "A-G6": "unsupported protocol: send m.login.failure unsupported_protocol",
  "A-G7": "GET /devices/{device_id} must answer 404",
  "A-G8": "check verification_uri and open the consent page",
  "A-G9": "send m.login.protocol_accepted",
  "A-G10": "receive m.login.success, m.login.declined or m.login.failure",
  "A-G11": "poll GET /devices/{device_id} until 200",
  "A-G12": "send m.login.secrets",

  "A-S1": "scan the QR code and check its intent",
  "A-S2": "join the rendezvous and send the initiate message",
  "A-S3": "receive the OK message and show the check code",
  "A-S4": "OAuth discovery, client registration and device authorization",
  "A-S5": "send m.login.protocol",
  "A-S6": "receive m.login.protocol_accepted",
  "A-S7": "show the user code and poll the token endpoint",
  "A-S8": "access_denied: send m.login.declined",
  "A-S9": "expired_token: send m.login.failure authorization_expired",
  "A-S10": "token received: whoami, then send m.login.success",
  "A-S11": "receive m.login.secrets, import them and self-sign",

  "B-G1": "create the rendezvous on the chosen homeserver and show the QR code",
  "B-G2": "receive the initiate message",
  "B-G3": "send the OK message",
  "B-G4": "compare the check code the user types",
  "B-G5": "receive m.login.protocols (confirm a different homeserver)",
  "B-G6": "no device authorization grant: send m.login.failure unsupported_protocol",
  "B-G7": "OAuth discovery, client registration and device authorization",
  "B-G8": "send m.login.protocol",
  "B-G9": "receive m.login.protocol_accepted",
  "B-G10": "show the user code and poll the token endpoint",
  "B-G11": "send m.login.declined, m.login.failure authorization_expired or m.login.success",
  "B-G12": "receive m.login.secrets, import them and self-sign",

  "B-S1": "scan the QR code and check its intent",
  "B-S2": "join the rendezvous and send the initiate message",
  "B-S3": "receive the OK message and show the check code",
  "B-S4": "send m.login.protocols",
  "B-S5": "receive m.login.protocol",
  "B-S6": "GET /devices/{device_id} must answer 404",
  "B-S7": "check verification_uri and open the consent page",
  "B-S8": "send m.login.protocol_accepted",
  "B-S9": "receive m.login.success, m.login.declined or m.login.failure",
  "B-S10": "poll GET /devices/{device_id} until 200",
  "B-S11": "send m.login.secrets",
} as const;

export type ProtocolStep = keyof typeof PROTOCOL_STEPS;

/** Direction A: the existing device shows the QR code; B: the new device shows it. */
export type StepDirection = "A" | "B";
/** G shows the QR code; S scans it. */
export type StepSide = "G" | "S";

const STEP_ID = /^([AB])-([GS])([1-9][0-9]*)$/;

export function isProtocolStep(value: string): value is ProtocolStep {
  return Object.hasOwn(PROTOCOL_STEPS, value);
}

/** The steps of one role in one direction, in the order they happen. */
export function stepsOf(direction: StepDirection, side: StepSide): readonly ProtocolStep[] {
  const steps: { step: ProtocolStep; number: number }[] = [];
  for (const step of Object.keys(PROTOCOL_STEPS) as ProtocolStep[]) {
    const match = STEP_ID.exec(step);
    if (match === null) throw new TypeError(`malformed protocol step ID ${step}`);
    if (match[1] === direction && match[2] === side) steps.push({ step, number: Number(match[3]) });
  }
  return steps.sort((a, b) => a.number - b.number).map(({ step }) => step);
}
