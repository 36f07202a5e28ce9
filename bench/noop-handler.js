// In-process handler for the benchmark: does nothing, so the table shows the runtime's own cost.
module.exports = async () => {};
