// The projector-mode switch in every flow screen's header (docs/ux.md "Demo mode"): on, the flow screen shares
// the window with the live sequence diagram and transcript, in large type.
import { Presentation } from "lucide-react";
import { Button } from "../components/ui";
import { t } from "../copy/format";
import { demoStore, useProjector } from "./demo-state";

/** The switch in the flow's header. */
export function ProjectorToggle() {
  const on = useProjector();
  const label = t(on ? "demo.projector.exit" : "demo.projector.enter");
  return (
    <Button
      kind="quiet"
      className="icon-button projector-toggle"
      aria-pressed={on}
      aria-label={label}
      title={on ? label : `${label}: ${t("demo.projector.hint")}`}
      icon={<Presentation aria-hidden="true" size={22} />}
      onClick={() => {
        demoStore.getState().setProjector(!on);
      }}
    >
      <span className="visually-hidden">{label}</span>
    </Button>
  );
}
