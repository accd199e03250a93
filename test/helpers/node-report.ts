// Why a Node program that should have exited is still running: started with `reportArgs(dir)`, it writes Node's
// diagnostic report (its JavaScript stack and libuv's handles: timers, sockets, pipes, file requests) when sent
// SIGUSR2. Tests attach the summary to the failure, so that a hang on CI says what kept the program alive.
import { readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";

/** Node options for the program under test: write a report into `dir` on SIGUSR2. */
export function reportArgs(dir: string): string[] {
  return ["--report-on-signal", "--report-signal=SIGUSR2", `--report-directory=${dir}`, "--report-compact"];
}

interface NodeReport {
  readonly resourceUsage?: { readonly userCpuSeconds?: number; readonly cpuConsumptionPercent?: number };
  readonly javascriptStack?: { readonly message?: string; readonly stack?: readonly string[] };
  readonly libuv?: readonly {
    readonly type?: string;
    readonly is_active?: boolean;
    readonly is_referenced?: boolean;
    readonly remoteEndpoint?: unknown;
    readonly localEndpoint?: unknown;
    readonly firesInAbsoluteTime?: number;
  }[];
}

/** What Linux says of `pid` (its state and its threads' states) and of every process holding `tty` open. */
export async function processState(pid: number, tty?: string): Promise<string> {
  const lines: string[] = [];
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  if (status === undefined) lines.push(`process ${pid} is gone`);
  else {
    const state = /^State:\s*(.*)$/m.exec(status)?.[1] ?? "?";
    const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
    const threads = await Promise.all(
      tasks.map(async (task) => {
        const comm = (await readFile(`/proc/${pid}/task/${task}/comm`, "utf8").catch(() => "?")).trim();
        const stat = await readFile(`/proc/${pid}/task/${task}/stat`, "utf8").catch(() => "");
        const wchan = await readFile(`/proc/${pid}/task/${task}/wchan`, "utf8").catch(() => "?");
        return `${comm}:${stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3)}:${wchan}`;
      }),
    );
    lines.push(`process ${pid}: ${state}; threads ${threads.join(" ")}`);
  }
  if (tty !== undefined) {
    const holders: string[] = [];
    for (const entry of await readdir("/proc").catch(() => [] as string[])) {
      if (!/^\d+$/.test(entry)) continue;
      const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
      for (const fd of fds) {
        if ((await readlink(`/proc/${entry}/fd/${fd}`).catch(() => "")) === tty) {
          const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
          holders.push(`${entry} (${cmdline.split("\0").slice(0, 3).join(" ")})`);
          break;
        }
      }
    }
    lines.push(`processes holding ${tty}: ${holders.join(", ") || "none"}`);
  }
  return lines.join("\n");
}

/** Signals `pid` for a report into `dir` and summarises it; says so when none came within 5 s. */
export async function explainRunning(pid: number, dir: string): Promise<string> {
  try {
    process.kill(pid, "SIGUSR2");
  } catch (error) {
    return `no report: could not signal ${pid} (${String(error)})`;
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const files = (await readdir(dir)).filter((name) => name.endsWith(".json"));
    const [file] = files;
    if (file !== undefined) {
      const text = await readFile(join(dir, file), "utf8").catch(() => "");
      let report: NodeReport;
      try {
        report = JSON.parse(text) as NodeReport;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const handles = (report.libuv ?? [])
        .filter((handle) => handle.is_active === true && handle.is_referenced !== false)
        .map((handle) => JSON.stringify(handle));
      const stack = report.javascriptStack?.stack?.slice(0, 10).join("\n  ") ?? "";
      return [
        `Node's report of process ${pid}: ${report.resourceUsage?.userCpuSeconds ?? "?"} s of CPU, at ${report.resourceUsage?.cpuConsumptionPercent ?? "?"}% of a core`,
        `active, referenced libuv handles (${handles.length}):`,
        ...handles.map((line) => `  ${line}`),
        `JavaScript stack: ${report.javascriptStack?.message ?? ""}`,
        `  ${stack}`,
      ].join("\n");
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return `no report from process ${pid} within 5 s`;
}
