// Shorter waits for tests and development: `MATRIX_QR_LOGIN_TIMINGS` may hold a JSON object with any of the
// flows' timings (src-main/flows/options.ts), e.g. {"personActing":[{"everyMs":250}]} to look for the other
// device's answer every 250 ms instead of every 2 s while a person acts. Unset, the flows keep their defaults.
import { z } from "zod";
import type { FlowTimings } from "../../flows/options";
import { UsageError } from "./args";

export const TIMINGS_VARIABLE = "MATRIX_QR_LOGIN_TIMINGS";

const duration = z.number().int().positive().max(3_600_000);
// Each phase of a poll schedule: a pace, and whatever else the protocol core's PollPhase reads (kept as given).
const schedule = z
  .array(z.looseObject({ everyMs: duration, forMs: duration.optional() }))
  .min(1)
  .max(8);

const timingsSchema = z.strictObject({
  machineReply: schedule.optional(),
  personActing: schedule.optional(),
  deviceWaitMs: duration.optional(),
  devicePollMs: duration.optional(),
  verifyWaitMs: duration.optional(),
  cancelLingerMs: duration.optional(),
  qrReplaceMarginMs: duration.optional(),
  minGrantIntervalMs: duration.optional(),
});

/** The timings the environment asks for, or undefined; a malformed value is a usage error naming the variable. */
export function timingsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Partial<FlowTimings> | undefined {
  const raw = env[TIMINGS_VARIABLE];
  if (raw === undefined || raw === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new UsageError(`${TIMINGS_VARIABLE} is not JSON`);
  }
  const parsed = timingsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `${TIMINGS_VARIABLE}: ${issue === undefined ? "invalid" : `${issue.path.join(".")} ${issue.message}`}`,
    );
  }
  const { machineReply, personActing, ...durations } = parsed.data;
  const timings: Partial<Record<keyof FlowTimings, unknown>> = Object.fromEntries(
    Object.entries(durations).filter(([, ms]) => ms !== undefined),
  );
  if (machineReply !== undefined) timings.machineReply = machineReply;
  if (personActing !== undefined) timings.personActing = personActing;
  return timings as Partial<FlowTimings>;
}
