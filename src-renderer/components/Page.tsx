// The frame of the screens outside a flow: a back button where there is somewhere to go back to, the heading,
// and the content in the centred column.
import type { ReactNode } from "react";
import { ArrowLeft, Settings } from "lucide-react";
import { useApp } from "../app-context";
import { t } from "../copy/format";
import type { ViewName } from "../views";
import { Button } from "./ui";

export interface PageProps {
  readonly heading: string;
  readonly back?: ViewName | undefined;
  /** The settings button in the header (screens that are a starting point). */
  readonly settings?: boolean;
  readonly lead?: ReactNode;
  readonly children: ReactNode;
  readonly className?: string;
}

export function Page({ heading, back, settings = false, lead, children, className }: PageProps) {
  const go = useApp((state) => state.go);
  return (
    <div className={["page", className].filter(Boolean).join(" ")}>
      <header className="page-header">
        {back === undefined ? (
          <span />
        ) : (
          <Button
            kind="quiet"
            icon={<ArrowLeft aria-hidden="true" size={20} />}
            onClick={() => {
              go(back);
            }}
          >
            {t("action.back")}
          </Button>
        )}
        {settings ? (
          <Button
            kind="quiet"
            icon={<Settings aria-hidden="true" size={20} />}
            onClick={() => {
              go("settings");
            }}
          >
            {t("action.settings")}
          </Button>
        ) : null}
      </header>
      <main id="content" className="page-body" tabIndex={-1}>
        <h1 className="page-heading">{heading}</h1>
        {lead === undefined ? null : <p className="lead">{lead}</p>}
        {children}
      </main>
    </div>
  );
}
