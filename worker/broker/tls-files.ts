import { readFileSync } from 'node:fs';
import { UsageError } from '../command-line/errors';

/** The PEM files for an amqps:// link, as the --ca, --cert and --key options name them. */
export interface TlsFileOptions {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** What tls.connect takes from those files (through amqplib's socket options). */
export interface TlsSocketOptions {
  ca?: Buffer[];
  cert?: Buffer;
  key?: Buffer;
}

/** Reads the files once at start-up; an unreadable one is a usage error naming the option. */
export function loadTlsFiles(options: TlsFileOptions): TlsSocketOptions {
  const out: TlsSocketOptions = {};
  if (options.caFile !== undefined) out.ca = [read('--ca', options.caFile)];
  if (options.certFile !== undefined) out.cert = read('--cert', options.certFile);
  if (options.keyFile !== undefined) out.key = read('--key', options.keyFile);
  return out;
}

function read(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`${flag} ${file}: cannot read the file (${code}); give a PEM file`);
  }
}

/** Errors that say the broker's certificate was not trusted: retrying cannot fix them. */
const UNVERIFIED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A fix-it line for a TLS failure that will not go away by retrying, else undefined. */
export function tlsFailure(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code && UNVERIFIED.has(code)) {
    return (
      `the broker's TLS certificate does not verify (${message}); give the CA that signed it with --ca FILE, ` +
      'and connect by a name the certificate holds'
    );
  }
  // OpenSSL's text is several fields and a newline; the alert's name is what says something.
  const alert = /alert (certificate required|bad certificate|unknown ca|certificate unknown)/i.exec(message);
  if (alert) {
    return (
      `the broker refused this client's TLS certificate (TLS alert: ${alert[1]}); ` +
      'give a certificate it trusts with --cert FILE --key FILE'
    );
  }
  return undefined;
}
