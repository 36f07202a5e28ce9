/**
 * The Erlang cookie's rule, shared by the constructs and the `workqueue` CLI (no cdktf import here: the
 * CLI bundles this file); the broker image's entrypoint applies the same rule in sh.
 */

/** The broker's variable that carries the cookie into the container; its entrypoint writes .erlang.cookie. */
export const ERLANG_COOKIE_VAR = 'WQ_ERLANG_COOKIE';

/** What Marathon apps hold instead of the cookie: `workqueue deploy` fills it from $ERLANG_COOKIE. */
export const ERLANG_COOKIE_PLACEHOLDER = 'ERLANG_COOKIE';

/** Letters and digits only (nothing to quote anywhere), and long enough not to be guessed. */
export const ERLANG_COOKIE_RULE = /^[A-Za-z0-9]{20,}$/;

/** The rule in words, for refusals. */
export const ERLANG_COOKIE_WORDS = 'at least 20 letters and digits (A-Z, a-z, 0-9), e.g. from `openssl rand -hex 24`';
