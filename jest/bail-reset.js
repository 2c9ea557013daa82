/** globalSetup of mutation runs: a new run starts with no failed file (jest/bail-jest-circus-runner.js). */
module.exports = async () => {
  process[Symbol.for("seed-k8s-infra.jest.runFailed")] = false;
};
