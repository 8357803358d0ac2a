/**
 * The shell commands a README shows, for readme_commands_test.ts: found in
 * fenced code blocks (one a line, a trailing `# comment` dropped) and in
 * inline code spans (which may wrap across lines: the wrap is a space), kept
 * when their first word is a program a reader would type — npm, npx, node,
 * deno, bun, foresight — and at least one word follows it (a lone `deno` is
 * a package's name, `node:util` a module). A command the README writes with
 * placeholders (`[--scale S]`, `<command>`, `host:port`, `node|deno|bun`,
 * `…`) is matched against the concrete command a test runs for it by
 * {@link mismatch}; {@link runShell} runs one.
 *
 * @module
 */

import { spawn } from "node:child_process";

/** The programs whose commands the README must have exercised. */
export const PROGRAMS: readonly string[] = ["npm", "npx", "node", "deno", "bun", "foresight"];

const FENCE = /^```[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;

/** Collapses runs of whitespace (a wrapped code span, a table's padding) to one space. */
const squash = (s: string): string => s.replace(/\s+/g, " ").trim();

const isCommand = (s: string): boolean => {
  const words = s.split(" ");
  return words.length > 1 && PROGRAMS.includes(words[0]!);
};

/**
 * Every distinct command in `markdown`, in order of first appearance.
 *
 * @example
 * ```ts
 * readmeCommands("Run `npm start -- --json` or\n\n```sh\nnpm test   # all\n```\n");
 * // ["npm test", "npm start -- --json"]
 * ```
 */
export function readmeCommands(markdown: string): string[] {
  const found: string[] = [];
  const prose = markdown.replace(FENCE, (_, body: string) => {
    for (const line of body.split("\n")) found.push(squash(line.replace(/(^|\s)#.*$/, "")));
    return "\n";
  });
  for (const m of prose.matchAll(/`([^`]+)`/g)) found.push(squash(m[1]!));
  return [...new Set(found.filter(isCommand))];
}

/**
 * The lines of the first fenced code block of `markdown`, comments dropped.
 *
 * @example
 * ```ts
 * firstBlock("# X\n\n```sh\nnpm test   # all\n```\n"); // ["npm test"]
 * ```
 */
export function firstBlock(markdown: string): string[] {
  FENCE.lastIndex = 0;
  const m = FENCE.exec(markdown);
  FENCE.lastIndex = 0;
  return (m?.[1] ?? "").split("\n").map((l) => squash(l.replace(/(^|\s)#.*$/, ""))).filter((
    l,
  ) => l !== "");
}

/**
 * The words of a README command that a concrete command must keep, in order:
 * the program and its subcommands, paths, and every flag; not the
 * placeholders (`[…]` groups, `<…>`, `…`, `a|b`) nor a flag's value (a word
 * after a flag that is no flag and no path), which a test may make smaller.
 */
function literals(segment: string): string[] {
  const words = squash(segment.replace(/\[[^\]]*\]|<[^>]*>|…/g, " ")).split(" ");
  const kept: string[] = [];
  words.forEach((w, i) => {
    const prev = words[i - 1];
    const isValue = prev !== undefined && /^-/.test(prev) && prev !== "--" && !/^-/.test(w) &&
      !w.includes("/");
    if (w !== "" && !w.includes("|") && !isValue) kept.push(w);
  });
  return kept;
}

/**
 * Why `concrete` is not an instance of the README command `shown`, or
 * undefined when it is: the same `&&` steps, each starting with the same
 * program (`npx foresight` for `foresight`) and keeping every literal word of
 * `shown` in order; anything may follow (smaller arguments).
 *
 * @example
 * ```ts
 * mismatch("node bench/relay.mjs", "node bench/relay.mjs --bytes 8000000"); // undefined
 * mismatch("npm start -- --json", "npm start -- --help"); // "… does not keep --json …"
 * ```
 */
export function mismatch(shown: string, concrete: string): string | undefined {
  const wanted = shown.split("&&");
  const given = concrete.split("&&");
  if (wanted.length !== given.length) {
    return `"${concrete}" has ${given.length} steps, "${shown}" ${wanted.length}`;
  }
  for (const [i, step] of wanted.entries()) {
    const want = literals(step);
    let words = squash(given[i]!).split(" ");
    if (want[0] === "foresight" && words[0] === "npx") words = words.slice(1);
    if (words[0] !== want[0]) return `"${given[i]!.trim()}" does not start with ${want[0]}`;
    let at = 0;
    for (const w of want) {
      const found = words.indexOf(w, at);
      if (found < 0) return `"${given[i]!.trim()}" does not keep ${w} of "${step.trim()}"`;
      at = found + 1;
    }
  }
  return undefined;
}

/** What a shell command did. */
export interface ShellResult {
  /** Its exit code, or null when a signal (or the timeout) ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time, seconds. */
  seconds: number;
}

/**
 * Runs `command` with bash in `cwd`, in a process group of its own that is
 * killed (SIGKILL) after `timeoutMs`.
 *
 * @example
 * ```ts
 * const r = await runShell("npx bun --version", { cwd: root, env: process.env, timeoutMs: 30_000 });
 * ```
 */
export function runShell(
  command: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<ShellResult> {
  const start = performance.now();
  const proc = spawn("bash", ["-c", command], {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "", stderr = "";
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timer = setTimeout(() => {
    stderr += `\n(killed after ${options.timeoutMs} ms)`;
    try {
      process.kill(-proc.pid!, "SIGKILL");
    } catch { /* already gone */ }
  }, options.timeoutMs);
  return new Promise((resolve) => {
    proc.on("close", (code) => {
      clearTimeout(timer);
      // Whatever the command left running in its group (a role of a cluster) goes too.
      try {
        process.kill(-proc.pid!, "SIGKILL");
      } catch { /* none left */ }
      resolve({ code, stdout, stderr, seconds: (performance.now() - start) / 1000 });
    });
  });
}
