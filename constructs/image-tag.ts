/**
 * Docker's tag grammar, shared by the constructs' imageTag and the CLI's -t (no cdktf import here: the CLI bundles
 * this file).
 */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The rule in words, for refusals. */
export const IMAGE_TAG_WORDS = "up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'";

export function isImageTag(tag: string): boolean {
  return IMAGE_TAG.test(tag);
}
