/** How one attempt at a message ended. */
export type Outcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** One line for people: "exit code 3", "killed by SIGKILL", "timed out after 5 s". */
      readonly reason: string;
      readonly exitCode?: number;
      readonly signal?: string;
      /** false: retrying cannot help (the message itself is unusable); it goes to the dead-letter queue at once. */
      readonly retry?: false;
    };

export const SUCCESS: Outcome = { ok: true };
