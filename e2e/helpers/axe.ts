// axe-core in Chromium: the library goes into every page of a context as an init script (the browser injects
// it, so the app's CSP, which rightly refuses a script tag added later, stays on), and `axeFindings` returns the
// violations, most severe first, in a form that reads well in a failed assertion.
import { createRequire } from "node:module";
import type { BrowserContext, Page } from "playwright-core";
import type { AxeResults, ImpactValue } from "axe-core";

const AXE_PATH = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

export interface AxeFinding {
  readonly rule: string;
  readonly impact: ImpactValue | null | undefined;
  readonly help: string;
  /** Up to three offending elements, each as its CSS selector and what axe says about it. */
  readonly nodes: readonly string[];
  readonly count: number;
}

const ORDER: Readonly<Record<string, number>> = { critical: 0, serious: 1, moderate: 2, minor: 3 };

/** Loads axe-core into every page the context opens from now on. */
export async function withAxe(context: BrowserContext): Promise<BrowserContext> {
  await context.addInitScript({ path: AXE_PATH });
  return context;
}

/** Runs axe-core on the page as it is now (every rule that axe runs by default). */
export async function axeFindings(page: Page): Promise<AxeFinding[]> {
  const results = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => unknown } })
      .axe;
    return (await axe.run(document, { resultTypes: ["violations"] })) as AxeResults;
  });
  return results.violations
    .map((violation) => ({
      rule: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes
        .slice(0, 3)
        .map((node) => `${node.target.join(" ")}: ${node.failureSummary ?? ""}`.replace(/\s+/g, " ")),
      count: violation.nodes.length,
    }))
    .sort((a, b) => (ORDER[a.impact ?? "minor"] ?? 4) - (ORDER[b.impact ?? "minor"] ?? 4));
}

/** The findings a release must not have: serious or critical. */
export function blocking(findings: readonly AxeFinding[]): AxeFinding[] {
  return findings.filter((finding) => finding.impact === "serious" || finding.impact === "critical");
}
