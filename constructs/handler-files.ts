import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { ContextEntry } from './build-context';
import { propError } from './prop-error';

/**
 * The build context entries that put the user's handler into the image's /app. Nothing from
 * outside `handlerPath` may enter the image: a `handlerPath` that is a link is resolved once
 * and the checks apply to what it points to; inside it, a link to a file or directory within
 * it is copied as that file or directory (the copy into cdktf.out follows links anyway), a link
 * that leads outside it, a broken link, a link loop or a special file is an error naming the
 * link. Files keep their modes.
 */
export function handlerEntries(construct: string, handlerPath: string): ContextEntry[] {
  const fail = (value: string, fix: string): never => {
    throw propError(construct, 'handlerPath', value, fix);
  };
  let root: string;
  try {
    root = realpathSync(handlerPath);
  } catch {
    return fail(
      handlerPath,
      lstatOrUndefined(handlerPath)?.isSymbolicLink()
        ? `it is a link that ${brokenChain(handlerPath)}: give an existing file or directory to copy into /app`
        : 'give an existing file or directory to copy into /app',
    );
  }
  const top = statSync(root);
  if (top.isFile()) return [{ path: `app/${basename(handlerPath)}`, source: root, executable: true }];
  if (!top.isDirectory()) return fail(handlerPath, 'give a regular file or a directory to copy into /app');

  const entries: ContextEntry[] = [{ path: 'app/', directory: true }];
  const inside = (real: string) => real === root || real.startsWith(root + sep);
  // `chain` holds the real directories being walked, to refuse a link back into one of them.
  const walk = (dir: string, at: string, chain: readonly string[]): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const target = `${at}/${name}`;
      const shown = join(handlerPath, relative(root, path));
      let stat = lstatSync(path);
      let real = path;
      if (stat.isSymbolicLink()) {
        try {
          real = realpathSync(path);
        } catch {
          return fail(
            shown,
            `the link ${brokenChain(path)}: remove the link or make it point to a file inside ${handlerPath}`,
          );
        }
        // The end of the whole chain of links, not the first hop, which may well be inside.
        if (!inside(real))
          return fail(
            shown,
            `the link points to '${real}', outside ${handlerPath}: copy the file into ${handlerPath} instead ` +
              '(nothing outside it enters the image)',
          );
        stat = statSync(real);
      }
      if (stat.isDirectory()) {
        if (chain.includes(real))
          return fail(
            shown,
            `the link points back to '${relative(root, real) || '.'}', which contains it: remove the loop`,
          );
        entries.push({ path: `${target}/`, directory: true });
        walk(real, target, [...chain, real]);
      } else if (stat.isFile()) {
        entries.push({ path: target, source: real, mode: stat.mode & 0o7777 });
      } else {
        return fail(
          shown,
          'it is neither a file nor a directory (a socket, FIFO or device): leave it out of the handler directory',
        );
      }
    }
  };
  walk(root, 'app', [root]);
  return entries;
}

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Says where a link that cannot be resolved leads: the missing end of its chain, or that it loops. */
function brokenChain(link: string): string {
  let at = link;
  // Linux gives up after 40 links in a row (ELOOP); so does this.
  for (let hops = 0; hops < 40; hops++) {
    if (!lstatOrUndefined(at)?.isSymbolicLink()) return `points to '${at}', which does not exist`;
    at = resolve(dirname(at), readlinkSync(at));
  }
  return 'loops (a chain of links that never ends)';
}
