// Approvers that need nothing from the host: refuse everything, or ask a user-supplied function.
import type { ApprovalRequest, Approver } from "./types.ts";

/** The default: with nobody to ask, an `approve` decision is a no. */
export const denyApprover: Approver = () => false;

/**
 * Wraps a user function (a chat button, a ticket, a Slack message…). Whatever goes wrong in it
 * is a denial, never an exception, so a broken approval path cannot let a call through.
 */
export function callbackApprover(ask: (request: ApprovalRequest) => Promise<boolean> | boolean): Approver {
  return async (request) => {
    try {
      return (await ask(request)) === true;
    } catch {
      return false;
    }
  };
}
