/**
 * The number rules of options and props, as noun phrases both the worker's flags ("--concurrency must
 * be a whole number from 1 to 10000, not '0'") and the constructs' props ("use a whole number of at
 * least 0") put into their own sentences. Undefined when the value passes.
 */
export function wholeNumberProblem(value: number, min: number, max?: number): string | undefined {
  if (Number.isInteger(value) && value >= min && (max === undefined || value <= max)) return undefined;
  return max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
}

/** A finite number of at least `min`, or with `exclusive`, greater than `min`. */
export function numberProblem(value: number, min: number, exclusive = false): string | undefined {
  if (Number.isFinite(value) && (exclusive ? value > min : value >= min)) return undefined;
  return exclusive ? `a number greater than ${min}` : `a number of at least ${min}`;
}
