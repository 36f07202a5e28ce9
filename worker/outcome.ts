/** How one attempt at a message ended. */
export type Outcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** One line for people: "exit code 3", "killed by SIGKILL", "timed out after 5 s". */
      readonly reason: string;
      readonly exitCode?: number;
      readonly signal?: string;
    };

export const SUCCESS: Outcome = { ok: true };
