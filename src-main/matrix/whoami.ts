// Reading the homeserver's answer to `GET /_matrix/client/v3/account/whoami` (Matrix spec, client-server API
// "Current account information"): the new device learns its user ID from it after the device grant (steps A-S10,
// B-G11), and a token for another device must not pass.
import { MatrixError } from "./errors";

/** `@localpart:server_name`, printable ASCII without spaces (historical user IDs allow more than the grammar). */
const USER_ID = /^@[\x21-\x39\x3b-\x7e]+:[\x21-\x7e]+$/;

/**
 * The user ID of a whoami answer with `status` and JSON `body` (undefined when it was not JSON), for a token that
 * was granted for `deviceId`. `server_error` for anything else.
 */
export function readWhoamiAnswer(status: number, body: unknown, deviceId: string): string {
  const answer = body as { user_id?: unknown; device_id?: unknown } | null | undefined;
  if (status !== 200 || typeof answer?.user_id !== "string") {
    throw new MatrixError("server_error", `whoami answered ${status}`);
  }
  // The user ID becomes the account's identity (and a key in /keys/query): it must be one (Matrix spec, "User
  // Identifiers": @localpart:domain, at most 255 characters).
  if (!USER_ID.test(answer.user_id) || answer.user_id.length > 255) {
    throw new MatrixError("server_error", "whoami answered something that is not a user ID", {
      reason: "invalid_user_id",
    });
  }
  if (answer.device_id !== undefined && answer.device_id !== deviceId) {
    throw new MatrixError("server_error", "whoami names another device than the one signed in");
  }
  return answer.user_id;
}
