// Aegis's built-in keyword evaluator for `semantic:` conditions: categories, stop words, keyword sets.

export const SEMANTIC_CATEGORIES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  destructive: ["delete", "drop", "remove", "destroy", "kill", "terminate", "truncate", "purge"],
  data_exposure: ["export", "download", "share", "send", "email", "upload", "transfer", "leak", "expose"],
  privileged: ["admin", "root", "sudo", "superuser", "escalate", "override", "bypass"],
  financial: ["payment", "transfer", "refund", "charge", "invoice", "billing", "withdraw"],
  pii: ["name", "email", "phone", "address", "ssn", "passport", "credit_card", "dob"],
});

const STOP_WORDS = new Set(["or", "and", "the", "a", "an", "of", "in", "to", "for", "is", "with"]);

/** The keywords a `semantic:` condition looks for, sorted so that equal conditions compile identically. */
export function semanticKeywords(condition: string): string[] {
  const text = condition.toLowerCase();
  const keywords = new Set<string>();
  if (Object.prototype.hasOwnProperty.call(SEMANTIC_CATEGORIES, text)) {
    for (const k of SEMANTIC_CATEGORIES[text]) keywords.add(k);
  } else {
    for (const tok of text.match(/[a-z0-9_]+/g) ?? []) {
      if (STOP_WORDS.has(tok)) continue;
      if (Object.prototype.hasOwnProperty.call(SEMANTIC_CATEGORIES, tok)) for (const k of SEMANTIC_CATEGORIES[tok]) keywords.add(k);
      else keywords.add(tok);
    }
  }
  return [...keywords].sort();
}
