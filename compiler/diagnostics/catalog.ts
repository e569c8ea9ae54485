// The one catalog of diagnostic codes: every diagnostic aegisc can emit is declared here.

export type Severity = "error" | "warning" | "info";

export interface DiagnosticDef {
  readonly code: string;
  /** Short machine-readable kind, used by `--format json` and SARIF rule ids. */
  readonly kind: string;
  readonly severity: Severity;
  /** What the code means, for SARIF rule metadata and the README. */
  readonly summary: string;
}

function def(code: string, kind: string, severity: Severity, summary: string): DiagnosticDef {
  return Object.freeze({ code, kind, severity, summary });
}

export const Diagnostics = Object.freeze({
  // 1xxx: reading files
  fileUnreadable: def("AEG1000", "io", "error", "A policy file could not be read."),
  yamlSyntax: def("AEG1001", "syntax", "error", "The file is not valid YAML."),
  emptyFile: def("AEG1002", "empty", "error", "The policy file has no content."),
  notAMapping: def("AEG1003", "type", "error", "The top level of a policy must be a mapping."),
  noFiles: def("AEG1004", "io", "error", "No policy file matched the given patterns."),
  duplicateKey: def("AEG1005", "duplicate", "error", "A key written twice in one mapping (PyYAML silently keeps the last)."),
  // 2xxx: validating the policy
  unknownKey: def("AEG2001", "unknown-key", "error", "A key that the policy format does not define."),
  invalidApproval: def("AEG2002", "value", "error", "An approval that is not auto, approve or block."),
  invalidRisk: def("AEG2003", "value", "error", "A risk level that is not low, medium, high or critical."),
  globNotString: def("AEG2004", "type", "error", "A match pattern that is not a string."),
  matchNotMapping: def("AEG2005", "type", "error", "A rule's match that is not a mapping."),
  duplicateRuleName: def("AEG2006", "duplicate", "warning", "Two rules with the same name: Aegis accepts it, but decisions and audit records cannot tell them apart."),
  invalidTime: def("AEG2007", "value", "error", "A time that is not a valid \"HH:MM\" string."),
  invalidWeekdays: def("AEG2008", "value", "error", "Weekdays that are not a list of ISO day numbers 1-7."),
  paramValueType: def("AEG2009", "type", "error", "A condition value of the wrong type."),
  invalidRegex: def("AEG2010", "value", "error", "A param_matches pattern that Python's re rejects."),
  wrongType: def("AEG2011", "type", "error", "A value of the wrong type for its key."),
  invalidCombine: def("AEG2012", "value", "error", "A combine mode that is not strictest or first-match."),
  invalidVersion: def("AEG2013", "value", "error", "A version that is not an integer."),
  regexTooLong: def("AEG2014", "value", "error", "A param_matches pattern longer than 1000 characters."),
  unsupportedRegex: def("AEG2015", "value", "error", "A Python regex that aegisc cannot match in linear time (a documented limit: back-references to unbounded groups, some atomic groups and lookaheads)."),
  semanticEmpty: def("AEG2016", "value", "warning", "A semantic condition with no keywords, which never holds."),
  emptyConditionSpec: def("AEG2017", "value", "warning", "An empty condition mapping, which always holds."),
  mixedDefaults: def("AEG2018", "value", "warning", "Files that disagree on defaults or combine; the first file's values are used."),
  invalidTimezone: def("AEG2019", "value", "error", "A timezone that is not an IANA time zone name."),
  orderingNotNumber: def(
    "AEG2020",
    "type",
    "warning",
    "A param_gt/lt/gte/lte value that is not a number: Python orders strings by code point and lists item by item, orders booleans as 0 and 1, and raises on the rest, which blocks the call.",
  ),
  regexNotString: def("AEG2021", "type", "warning", "A param_matches pattern that is not a string: Aegis searches for its Python str()."),
  // 25xx: the `when:` expression language
  whenSyntax: def("AEG2501", "syntax", "error", "A `when:` expression that does not parse."),
  whenUnknownName: def("AEG2502", "unknown-name", "error", "An unknown path, function or weekday in a `when:` expression."),
  whenType: def("AEG2503", "type", "error", "An operator applied to a value of the wrong type in a `when:` expression."),
  whenNeverHolds: def("AEG2504", "never-holds", "error", "A comparison that can never hold."),
  whenInvalidTime: def("AEG2505", "value", "error", "A time in a `when:` expression that is not a valid \"HH:MM\"."),
  whenRegex: def("AEG2506", "value", "error", "A `when:` regex that Python rejects, that is too long, or that aegisc cannot match in linear time."),
  // 3xxx: analysis findings, each with an example call (severity is the usual one; a finding may lower it)
  unreachable: def("AEG3001", "unreachable", "warning", "A rule that never decides a call: the rules before it cover it with the same outcome."),
  shadowed: def("AEG3002", "shadowed", "error", "A rule that never decides a call: rules that take precedence cover it and decide differently."),
  redundant: def("AEG3003", "redundant", "warning", "A rule whose removal changes no decision."),
  overlap: def("AEG3004", "overlap", "info", "Two rules with the same outcome that match common calls."),
  correlation: def("AEG3005", "correlation", "warning", "Two rules with different outcomes that partly overlap; the one named decides the common calls."),
  generalization: def("AEG3006", "generalization", "info", "A rule that contains another, different rule which takes precedence on its calls (an exception)."),
  unsatisfiable: def("AEG3007", "unsatisfiable", "error", "A rule whose own patterns and conditions can never hold together."),
  modeDependent: def("AEG3008", "mode-dependent", "warning", "A policy without `combine:` whose decisions differ between strictest and first-match."),
  analysisIncomplete: def("AEG3009", "incomplete", "info", "A rule the analysis could not finish within its size limit."),
});

export type DiagnosticName = keyof typeof Diagnostics;

export function allDiagnosticDefs(): DiagnosticDef[] {
  return Object.values(Diagnostics);
}
