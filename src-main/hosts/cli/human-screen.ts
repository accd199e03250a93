// Human mode of `sign-in` and `link`: each snapshot of the flow as a few lines of the terminal (on stderr), the
// QR code drawn in half blocks, codes in large type, a countdown redrawn in place where stderr is a terminal,
// and the questions the flow asks (the check code, approving the device, a homeserver switch, "the consent page
// is open") answered on stdin. The flow decides what may be answered: a question is asked only while the
// snapshot accepts its command.
import type { FlowCommand } from "../../../src-shared/flow";
import type { CommandAnswer, Snapshot as FlowSnapshot } from "./context";
import { bigText } from "./big-text";
import { errorLines, instructionLines, phaseTitle, t } from "./copy";
import type { InputLines, Output } from "./io";
import { QUIET_ZONE, qrMatrix, type ErrorCorrection } from "./qr-matrix";
import { readScannedText } from "./scan-source";
import { drawHalfBlocks } from "./terminal-qr";

export type SendCommand = (command: FlowCommand) => Promise<CommandAnswer>;

export interface HumanScreenOptions {
  readonly out: Output;
  readonly input: InputLines;
  readonly send: SendCommand;
  readonly level: ErrorCorrection;
  /** The QR code to scan is typed or pasted here (`--scan -`). */
  readonly scanHere: boolean;
  /** Told when a question cannot be answered because stdin ended. */
  readonly onInputEnded: () => void;
  /** The terminal's width, when known, to warn that a QR code will not fit. */
  readonly columns?: number;
}

const CLEAR_LINE = "\r\u001b[2K";
const BOLD = "\u001b[1m";
const RESET = "\u001b[0m";

/** What makes two snapshots the same screen: a new one redraws only when this changes. */
function screenKey(snapshot: FlowSnapshot): string {
  const accepts = snapshot.accepts.join(",");
  switch (snapshot.phase) {
    case "showing_qr":
      return `showing_qr:${snapshot.serial}:${accepts}`;
    case "check_code_entry":
      return `check_code_entry:${snapshot.attemptsLeft}:${snapshot.mismatch}`;
    case "preflight":
      return "preflight";
    default:
      return `${snapshot.phase}:${accepts}`;
  }
}

function remaining(expiresAt: number): string {
  const seconds = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function yes(answer: string): boolean {
  return /^\s*y(es)?\s*$/i.test(answer);
}

export class HumanScreen {
  readonly #options: HumanScreenOptions;
  #key: string | undefined;
  #checksShown = new Set<string>();
  #countdown: ReturnType<typeof setInterval> | undefined;
  #countdownDrawn = false;
  #asking = false;
  #ended = false;
  #consentShown = false;
  /** Pages the command line was asked to open: true when a browser opened it, false when it printed it. */
  readonly #pages = new Map<string, boolean>();

  constructor(options: HumanScreenOptions) {
    this.#options = options;
    options.input.onClose(() => {
      if (this.#asking && !this.#ended) options.onInputEnded();
    });
  }

  snapshot(snapshot: FlowSnapshot): void {
    if (this.#ended) return;
    const key = screenKey(snapshot);
    if (snapshot.phase === "preflight") this.#preflightChecks(snapshot);
    if (key === this.#key) return;
    this.#key = key;
    this.#leaveScreen();
    this.#draw(snapshot);
  }

  /** What became of a page the flow had opened (open-url.ts): the consent screen words itself by it. */
  pageShown(url: string, opened: boolean): void {
    this.#pages.set(url, opened);
  }

  /** The flow ended (or the program stops): no countdown, no question left open. */
  end(): void {
    this.#leaveScreen();
    this.#ended = true;
  }

  #say(text = ""): void {
    this.#options.out.say(text);
  }

  #title(text: string): void {
    const { out } = this.#options;
    this.#say();
    this.#say(out.colour ? `${BOLD}${text}${RESET}` : text);
  }

  #leaveScreen(): void {
    if (this.#countdown !== undefined) clearInterval(this.#countdown);
    this.#countdown = undefined;
    if (this.#countdownDrawn) this.#options.out.write(CLEAR_LINE);
    this.#countdownDrawn = false;
    if (this.#asking) {
      // The flow moved on while a question was open: its line ends here, unanswered.
      this.#options.input.onLine(undefined);
      this.#options.out.write("\n");
      this.#asking = false;
    }
  }

  #preflightChecks(snapshot: Extract<FlowSnapshot, { phase: "preflight" }>): void {
    if (this.#key !== "preflight") this.#title(t("phase.preflight.title"));
    for (const check of snapshot.checks) {
      if (check.status === "pending" || this.#checksShown.has(check.id)) continue;
      this.#checksShown.add(check.id);
      const mark = check.status === "ok" ? "✓" : check.status === "failed" ? "✗" : "–";
      const cause = check.cause === undefined ? "" : ` (${check.cause})`;
      this.#say(`  ${mark} ${check.id}${cause}`);
    }
  }

  #draw(snapshot: FlowSnapshot): void {
    const { role, side } = snapshot;
    switch (snapshot.phase) {
      case "preflight":
        return;
      case "instructions":
        this.#title(t(phaseTitle("instructions", role, side)));
        for (const line of instructionLines(role, side, snapshot.version)) this.#say(line);
        return;
      case "preparing":
        this.#title(t(phaseTitle("preparing", role, side)));
        return;
      case "showing_qr":
        this.#showQr(snapshot);
        return;
      case "scanning":
        this.#title(t(phaseTitle("scanning", role, side)));
        if (this.#options.scanHere && snapshot.accepts.includes("submitScannedQr")) this.#askForQr();
        return;
      case "connecting":
        this.#title(t("phase.connecting.title"));
        this.#say(t("phase.connecting.lead"));
        this.#startCountdown(snapshot);
        return;
      case "check_code_display":
        this.#title(t("phase.check_code_display.title"));
        this.#big(snapshot.code, t("phase.check_code_display.codeLabel"));
        this.#say(t("phase.check_code_display.explain"));
        this.#startCountdown(snapshot);
        return;
      case "check_code_entry":
        this.#checkCodeEntry(snapshot);
        return;
      case "confirm_homeserver":
        this.#title(t("phase.confirm_homeserver.title"));
        this.#say(t("phase.confirm_homeserver.lead", { from: snapshot.from, to: snapshot.to }));
        this.#ask(`Continue with ${snapshot.to}? [y/N] `, (answer) => {
          this.#send({ type: "confirmHomeserver", accept: yes(answer) });
        });
        return;
      case "approve_device":
        this.#title(t("phase.approve_device.title"));
        this.#say(t("phase.approve_device.receives"));
        this.#ask(`Allow ${snapshot.deviceId} to sign in as ${snapshot.userId}? [y/N] `, (answer) => {
          this.#send({ type: "approveDevice", approve: yes(answer) });
        });
        return;
      case "negotiating":
        this.#title(t(phaseTitle("negotiating", role, side)));
        this.#startCountdown(snapshot);
        return;
      case "waiting_for_approval":
        this.#title(t("phase.waiting_for_approval.title"));
        this.#big(snapshot.userCode, t("phase.waiting_for_approval.codeLabel"));
        this.#say(t("phase.waiting_for_approval.explain"));
        this.#say(t("phase.waiting_for_approval.where", { host: hostOf(snapshot.verificationUri) }));
        this.#startCountdown(snapshot);
        return;
      case "consent":
        this.#consent(snapshot);
        return;
      case "syncing_secrets":
        this.#title(t(phaseTitle("syncing_secrets", role, side)));
        this.#say(t("phase.syncing_secrets.lead"));
        return;
      case "done":
        this.#title(t(phaseTitle("done", role, side)));
        this.#say(`  ${t("phase.done.signedInAs", { user: snapshot.userId })}`);
        this.#say(`  ${t("phase.done.device", { device: snapshot.deviceId })}`);
        this.#say(
          `  ${
            snapshot.verified
              ? t(role === "new_device" ? "phase.done.verified" : "phase.done.verifiedOther")
              : t("phase.done.notVerified")
          }`,
        );
        this.#say(`  ${t(snapshot.backup ? "phase.done.backup" : "phase.done.noBackup")}`);
        return;
      case "error": {
        const [title = "", ...rest] = errorLines(snapshot.error, role);
        this.#title(`✗ ${title}`);
        for (const line of rest) this.#say(line);
        return;
      }
    }
  }

  #showQr(snapshot: Extract<FlowSnapshot, { phase: "showing_qr" }>): void {
    const { out, level, columns } = this.#options;
    this.#title(t(phaseTitle("showing_qr", snapshot.role, snapshot.side)));
    const bytes = Uint8Array.from(atob(snapshot.qr), (char) => char.charCodeAt(0));
    const matrix = qrMatrix(bytes, level);
    const lines = drawHalfBlocks(matrix, { colour: out.colour });
    const width = matrix.size + 2 * QUIET_ZONE;
    if (columns !== undefined && columns > 0 && columns < width) {
      this.#say(`(The terminal is ${columns} columns wide; the QR code needs ${width}. Widen it to scan.)`);
    }
    for (const line of lines) this.#say(line);
    out.result(snapshot.qr);
    this.#say(`(Version ${snapshot.version}. The same code as text: the line on stdout.)`);
    for (const line of instructionLines(snapshot.role, snapshot.side, snapshot.version)) this.#say(line);
    this.#say(t("flow.safetyShow"));
    this.#startCountdown(snapshot, "a new QR code follows");
  }

  #checkCodeEntry(snapshot: Extract<FlowSnapshot, { phase: "check_code_entry" }>): void {
    if (snapshot.mismatch) {
      this.#say(
        `${t("phase.check_code_entry.mismatch")} ${
          snapshot.attemptsLeft === 1
            ? t("phase.check_code_entry.attemptsLeft.one", { count: 1 })
            : t("phase.check_code_entry.attemptsLeft.other", { count: snapshot.attemptsLeft })
        }`,
      );
    } else {
      this.#title(t("phase.check_code_entry.title"));
      this.#say(t("phase.check_code_entry.lead"));
    }
    const ask = (): void => {
      this.#ask("Enter the 2-digit code shown on your other device: ", (answer) => {
        const code = answer.trim();
        if (!/^\d\d$/.test(code)) {
          this.#say("Type the two digits the other device shows.");
          ask();
          return;
        }
        this.#send({ type: "submitCheckCode", code });
      });
    };
    if (snapshot.accepts.includes("submitCheckCode")) ask();
  }

  #consent(snapshot: Extract<FlowSnapshot, { phase: "consent" }>): void {
    // The page's screen changes once (opened): its title and hints are not repeated then.
    if (!this.#consentShown) {
      this.#consentShown = true;
      this.#title(t("phase.consent.title"));
      this.#say(t("phase.consent.device", { device: snapshot.deviceId }));
      this.#say(t("phase.consent.userCodeHint"));
    }
    const page = this.#pages.get(snapshot.verificationUri);
    if (!snapshot.accepts.includes("consentOpened")) {
      // "Opened" only when a browser did open it; otherwise the user has just said they opened it themselves.
      this.#say(
        page === true
          ? t("phase.consent.lead", { host: snapshot.host })
          : `Waiting for you to allow the new device on ${snapshot.host}. Sign in there if asked.`,
      );
      this.#startCountdown(snapshot);
      return;
    }
    // The address is printed once: by the opener when it could not open it, else here.
    if (page !== false) {
      this.#say(t("phase.consent.openPrompt"));
      this.#say(`  ${snapshot.verificationUri}`);
    }
    const ask = (): void => {
      this.#ask(
        "Press Enter once the page is open in your browser (o and Enter: open it again): ",
        (answer) => {
          if (answer.trim().toLowerCase() === "o") {
            this.#send({ type: "openConsentAgain" });
            ask();
            return;
          }
          this.#send({ type: "consentOpened" });
        },
      );
    };
    ask();
  }

  #askForQr(): void {
    this.#ask("Paste the QR code's base64, or the path of a PNG picture of it: ", (answer) => {
      void readScannedText(answer).then(
        (bytes) => {
          let binary = "";
          for (const byte of bytes) binary += String.fromCharCode(byte);
          this.#send({ type: "submitScannedQr", bytes: btoa(binary) });
        },
        (error: unknown) => {
          this.#say(error instanceof Error ? error.message : String(error));
          this.#askForQr();
        },
      );
    });
  }

  #big(code: string, label: string): void {
    this.#say(`${label}: ${code}`);
    const lines = bigText(code);
    if (lines === undefined) return;
    this.#say();
    for (const line of lines) this.#say(`    ${line}`);
    this.#say();
  }

  /** Asks one question; the next line of stdin answers it (unless the screen changes first). */
  #ask(question: string, answer: (line: string) => void): void {
    const { input, out } = this.#options;
    if (input.closed) {
      out.say(`${question}(stdin has ended: no answer can come)`);
      this.#options.onInputEnded();
      return;
    }
    this.#asking = true;
    input.onLine((line) => {
      this.#asking = false;
      input.onLine(undefined);
      answer(line);
    });
    input.prompt(question);
  }

  #send(command: FlowCommand): void {
    void this.#options.send(command).then((result) => {
      if (result.type === "rejected" && !this.#ended) {
        this.#say(
          `(not taken now: ${result.reason}${result.detail === undefined ? "" : `, ${result.detail}`})`,
        );
      }
    });
  }

  #startCountdown(snapshot: FlowSnapshot, note?: string): void {
    const expiresAt = snapshot.expiresAt;
    const { out } = this.#options;
    if (expiresAt === undefined) return;
    const text = (): string => `Expires in ${remaining(expiresAt)}${note === undefined ? "" : ` (${note})`}`;
    if (!out.interactive) {
      if (snapshot.phase === "showing_qr") this.#say(text());
      return;
    }
    const draw = (): void => {
      out.write(`${CLEAR_LINE}${text()}`);
      this.#countdownDrawn = true;
    };
    draw();
    this.#countdown = setInterval(draw, 1000);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
