import { UsageError } from '../worker/command-line/errors';
import { text, type Parsed } from '../worker/command-line/flags';
import { printable } from '../worker/observability/printable';
import { IMAGE_TAG_WORDS, isImageTag } from '../constructs/image-tag';

/** The -t TAG of build, run-local and deploy, checked by the constructs' rule before docker or Marathon sees it. */
export function tagOption(command: string, flags: Parsed['flags'], required: boolean): string | undefined {
  const tag = text(flags, 'tag');
  if (tag === undefined || tag === '') {
    if (required) throw new UsageError(`${command}: missing -t TAG`);
    return undefined;
  }
  if (!isImageTag(tag))
    throw new UsageError(`${command}: -t '${printable(tag, 60)}' is not a Docker tag: use ${IMAGE_TAG_WORDS}`);
  return tag;
}
