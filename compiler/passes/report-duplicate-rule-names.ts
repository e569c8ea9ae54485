// report-duplicate-rule-names: two rules with one name make decisions and reports ambiguous (Aegis accepts it: a warning).

import { Diagnostics } from "../diagnostics/catalog.ts";
import type { Rule } from "../ir/types.ts";
import type { Pass } from "./pass.ts";

export const reportDuplicateRuleNames: Pass = {
  name: "report-duplicate-rule-names",
  run(policy, { diagnostics }) {
    const byName = new Map<string, Rule>();
    for (const rule of policy.rules) {
      const earlier = byName.get(rule.name);
      // Aegis's generated `rule_<i>` names repeat across merged files; only written names must be unique.
      if (earlier && (rule.named || earlier.named)) {
        diagnostics.add(Diagnostics.duplicateRuleName, `A rule named \`${rule.name}\` already exists; decisions and audit records will not tell them apart.`, rule.named ? rule.nameSpan : rule.span, {
          notes: [{ message: "the first rule with this name", span: earlier.named ? earlier.nameSpan : earlier.span }],
          hint: "give each rule its own name",
          rule: rule.name,
        });
      } else if (!earlier) byName.set(rule.name, rule);
    }
  },
};
