// The screens outside a flow, by name; a running flow is the `flow` view, whatever its phase.
export type ViewName =
  | "welcome"
  | "sign_in_choice"
  | "manual_sign_in"
  | "homeserver"
  | "home"
  | "link_choice"
  | "settings"
  | "flow";
