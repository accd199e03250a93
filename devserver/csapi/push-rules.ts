// `GET /pushrules/` (and `/pushrules/global/`): the spec's predefined rules for the user, never changed (the
// devserver has no rooms to notify about). Clients fetch these when they start.
import { sendJson } from "../http";
import type { Route } from "../router";
import type { CsApiContext } from "./context";

type Action = string | { set_tweak: string; value?: unknown };

const NOTIFY_HIGHLIGHT: Action[] = [
  "notify",
  { set_tweak: "sound", value: "default" },
  { set_tweak: "highlight" },
];
const NOTIFY_SOUND: Action[] = [
  "notify",
  { set_tweak: "sound", value: "default" },
  { set_tweak: "highlight", value: false },
];
const NOTIFY: Action[] = ["notify", { set_tweak: "highlight", value: false }];

const match = (key: string, pattern: string) => ({ kind: "event_match", key, pattern });
const rule = (ruleId: string, conditions: unknown[], actions: Action[], enabled = true) => ({
  rule_id: ruleId,
  default: true,
  enabled,
  conditions,
  actions,
});

/** The spec's predefined push rules ("Push rules", "Predefined rules"), for one user. */
export function defaultPushRules(userId: string, localpart: string): Record<string, unknown> {
  const roomPermission = { kind: "sender_notification_permission", key: "room" };
  return {
    override: [
      rule(".m.rule.master", [], [], false),
      rule(".m.rule.suppress_notices", [match("content.msgtype", "m.notice")], []),
      rule(
        ".m.rule.invite_for_me",
        [match("type", "m.room.member"), match("content.membership", "invite"), match("state_key", userId)],
        NOTIFY_SOUND,
      ),
      rule(".m.rule.member_event", [match("type", "m.room.member")], []),
      rule(
        ".m.rule.is_user_mention",
        [{ kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: userId }],
        NOTIFY_HIGHLIGHT,
      ),
      rule(".m.rule.contains_display_name", [{ kind: "contains_display_name" }], NOTIFY_HIGHLIGHT),
      rule(
        ".m.rule.is_room_mention",
        [{ kind: "event_property_is", key: "content.m\\.mentions.room", value: true }, roomPermission],
        ["notify", { set_tweak: "highlight" }],
      ),
      rule(
        ".m.rule.roomnotif",
        [roomPermission, match("content.body", "@room")],
        ["notify", { set_tweak: "highlight" }],
      ),
      rule(
        ".m.rule.tombstone",
        [match("type", "m.room.tombstone"), match("state_key", "")],
        ["notify", { set_tweak: "highlight" }],
      ),
      rule(".m.rule.reaction", [match("type", "m.reaction")], []),
      rule(".m.rule.server_acl", [match("type", "m.room.server_acl"), match("state_key", "")], []),
      rule(
        ".m.rule.suppress_edits",
        [{ kind: "event_property_is", key: "content.m\\.relates_to.rel_type", value: "m.replace" }],
        [],
      ),
    ],
    content: [
      {
        rule_id: ".m.rule.contains_user_name",
        default: true,
        enabled: true,
        pattern: localpart,
        actions: NOTIFY_HIGHLIGHT,
      },
    ],
    room: [],
    sender: [],
    underride: [
      rule(
        ".m.rule.call",
        [match("type", "m.call.invite")],
        ["notify", { set_tweak: "sound", value: "ring" }, { set_tweak: "highlight", value: false }],
      ),
      rule(
        ".m.rule.encrypted_room_one_to_one",
        [{ kind: "room_member_count", is: "2" }, match("type", "m.room.encrypted")],
        NOTIFY_SOUND,
      ),
      rule(
        ".m.rule.room_one_to_one",
        [{ kind: "room_member_count", is: "2" }, match("type", "m.room.message")],
        NOTIFY_SOUND,
      ),
      rule(".m.rule.message", [match("type", "m.room.message")], NOTIFY),
      rule(".m.rule.encrypted", [match("type", "m.room.encrypted")], NOTIFY),
    ],
  };
}

export function pushRuleRoutes(ctx: CsApiContext, prefix: string): Route[] {
  const rulesFor = (userId: string): Record<string, unknown> =>
    defaultPushRules(userId, userId.slice(1, Math.max(1, userId.indexOf(":"))));
  // Synapse answers with and without the trailing slash; matrix-js-sdk asks for `/pushrules/`.
  return ["/pushrules/", "/pushrules", "/pushrules/global/", "/pushrules/global"].map((path) => ({
    method: "GET",
    path: `${prefix}${path}`,
    handle: async ({ req, res, url }) => {
      const { userId } = await ctx.authenticate(req, url);
      sendJson(res, 200, path.includes("global") ? rulesFor(userId) : { global: rulesFor(userId) });
    },
  }));
}
