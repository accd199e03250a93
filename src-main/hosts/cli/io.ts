// Where the command line writes and reads. With --json, stdout carries one JSON object per line and nothing
// else; every human sentence goes to stderr. In human mode the screen of a sign-in (questions, the QR code,
// progress) goes to stderr too, and stdout gets only what a script may want to keep: the QR code's base64 line,
// a command's result. Input is read line by line from stdin, through one readline interface per process.
import { createInterface, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";

export interface CliStreams {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
}

export class Output {
  readonly json: boolean;
  readonly #streams: CliStreams;

  constructor(streams: CliStreams, json: boolean) {
    this.#streams = streams;
    this.json = json;
  }

  /** One JSON object as one line of stdout (--json only; a no-op in human mode). */
  line(value: Readonly<Record<string, unknown>>): void {
    if (this.json) this.#streams.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Human text for the screen: stderr. */
  say(text = ""): void {
    this.#streams.stderr.write(`${text}\n`);
  }

  /** Raw text on stderr (no newline added): prompts and the countdown. */
  write(text: string): void {
    this.#streams.stderr.write(text);
  }

  /** A human result line on stdout (human mode only: in --json mode stdout is for JSON). */
  result(text: string): void {
    if (!this.json) this.#streams.stdout.write(`${text}\n`);
  }

  /** Whether stderr is a terminal (the countdown is redrawn in place only there). */
  get interactive(): boolean {
    return this.#streams.stderr.isTTY === true;
  }

  /** Colour on stderr: a terminal, and the user did not ask for none (https://no-color.org). */
  get colour(): boolean {
    const noColour = this.#streams.env.NO_COLOR;
    return this.interactive && (noColour === undefined || noColour === "");
  }

  /** Waits until everything written so far has been handed to the OS. */
  async flush(): Promise<void> {
    await Promise.all(
      [this.#streams.stdout, this.#streams.stderr].map(
        (stream) =>
          new Promise<void>((resolve) => {
            stream.write("", () => {
              resolve();
            });
          }),
      ),
    );
  }
}

/**
 * The lines of stdin, delivered to whoever listens now. In a terminal, readline edits the line and turns Ctrl-C
 * into a `SIGINT` callback (the terminal is in raw mode, so no signal reaches the process).
 */
export class InputLines {
  readonly #readline: Interface;
  readonly #streams: CliStreams;
  #listener: ((line: string) => void) | undefined;
  #closed = false;
  #onClose: (() => void)[] = [];

  constructor(streams: CliStreams, options: { readonly prompts: boolean }) {
    this.#streams = streams;
    const terminal = options.prompts && streams.stdin.isTTY === true;
    this.#readline = createInterface({
      input: streams.stdin,
      ...(terminal ? { output: streams.stderr, terminal: true } : { terminal: false }),
      crlfDelay: Infinity,
    });
    this.#readline.on("line", (line) => {
      this.#listener?.(line);
    });
    this.#readline.on("close", () => {
      this.#closed = true;
      for (const listener of this.#onClose.splice(0)) listener();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Every line from now on goes to `listener` (replacing the previous one). */
  onLine(listener: ((line: string) => void) | undefined): void {
    this.#listener = listener;
  }

  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#onClose.push(listener);
  }

  /** Ctrl-C typed in a terminal that readline holds in raw mode. */
  onInterrupt(listener: () => void): void {
    this.#readline.on("SIGINT", listener);
  }

  /** Shows `text` as the prompt, on stderr, after what is already on the line. */
  prompt(text: string): void {
    if (this.#streams.stdin.isTTY === true) {
      this.#readline.setPrompt(text);
      this.#readline.prompt();
    } else {
      this.#streams.stderr.write(text);
    }
  }

  /** The next line, or undefined when stdin ends first. */
  next(): Promise<string | undefined> {
    return new Promise((resolve) => {
      if (this.#closed) {
        resolve(undefined);
        return;
      }
      let settled = false;
      const done = (line: string | undefined): void => {
        if (settled) return;
        settled = true;
        if (this.#listener === done) this.#listener = undefined;
        resolve(line);
      };
      this.onLine(done);
      this.onClose(() => {
        done(undefined);
      });
    });
  }

  close(): void {
    this.#listener = undefined;
    this.#readline.close();
  }
}
