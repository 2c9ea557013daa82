// Loaded with --require by the benchmark: records this process's peak memory when it exits.
const fs = require("fs");
process.on("exit", () => {
  const file = process.env.BENCH_RSS_FILE;
  if (file) fs.appendFileSync(file, `${process.pid} ${process.resourceUsage().maxRSS}\n`);
});
