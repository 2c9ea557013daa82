/**
 * Progress lines for the system tier, beside jest's own reporter (which prints a file's result only
 * when the file ends): a line when a test file starts, and, while files run with nothing printed for
 * `every` milliseconds (default 10 s), a line naming each running file's current test and how long
 * it has run. A plan file is one test of half a minute: without these lines a caller that stops a
 * silent command would stop the tier as if it hung, and a tier stopped from outside shows what ran.
 */
const path = require("path");

class ProgressReporter {
  constructor(globalConfig, options = {}) {
    this.rootDir = globalConfig.rootDir;
    this.every = options.every ?? 10000;
    this.write = options.write ?? ((line) => process.stderr.write(line));
    this.now = options.now ?? Date.now;
    this.running = new Map();
    this.current = new Map();
    this.last = this.now();
  }

  name(file) {
    return path.relative(this.rootDir, file);
  }

  say(line) {
    this.write(`${line}\n`);
    this.last = this.now();
  }

  onRunStart() {
    this.last = this.now();
    this.timer = setInterval(() => this.tick(), Math.min(1000, this.every));
    this.timer.unref();
  }

  onTestFileStart(test) {
    this.running.set(test.path, this.now());
    this.say(`RUNS ${this.name(test.path)}`);
  }

  onTestCaseStart(test, info) {
    this.running.set(test.path, this.now());
    this.current.set(test.path, info.fullName);
  }

  onTestFileResult(test) {
    this.current.delete(test.path);
    this.running.delete(test.path);
    // jest's own reporter prints the file's result now.
    this.last = this.now();
  }

  tick() {
    if (this.running.size === 0 || this.now() - this.last < this.every) return;
    const files = [...this.running].map(([file, since]) => {
      const test = this.current.has(file) ? ` › ${this.current.get(file)}` : "";
      return `${this.name(file)}${test} (${Math.round((this.now() - since) / 1000)} s)`;
    });
    this.say(`still running: ${files.join(", ")}`);
  }

  onRunComplete() {
    clearInterval(this.timer);
  }

  getLastError() {
    return undefined;
  }
}

module.exports = ProgressReporter;
