// Reading the homeserver's answer to `GET /_matrix/client/v3/account/whoami` (Matrix spec, client-server API
// "Current account information"): the new device learns its user ID from it after the device grant (steps A-S10,
// B-G11), and a token for another device must not pass.
import { MatrixError } from "./errors";

/**
 * The user ID of a whoami answer with `status` and JSON `body` (undefined when it was not JSON), for a token that
 * was granted for `deviceId`. `server_error` for anything else.
 */
export function readWhoamiAnswer(status: number, body: unknown, deviceId: string): string {
  const answer = body as { user_id?: unknown; device_id?: unknown } | null | undefined;
  if (status !== 200 || typeof answer?.user_id !== "string") {
    throw new MatrixError("server_error", `whoami answered ${status}`);
  }
  if (answer.device_id !== undefined && answer.device_id !== deviceId) {
    throw new MatrixError("server_error", "whoami names another device than the one signed in");
  }
  return answer.user_id;
}
