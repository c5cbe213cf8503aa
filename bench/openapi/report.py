#!/usr/bin/env python3
"""The table of bench/openapi/real-documents.sh: one row per document.

    report.py NAME|DOC|OUT|EXIT ...

DOC is the document, OUT the directory with the run's junit.xml, summary.json and
credentials.tsv (the schemes a credential was given for: NAME<TAB>KIND<TAB>VARIABLE, no value),
EXIT the suite's exit code (-1: Prism did not start or the document is missing).

Columns:
  ops        operations in the document (docstats.py, counted here, not by the suite)
  cred       those whose security the credentials given satisfy (absent, `[]`, `{}`, or an
             alternative of given schemes only): what the suite could send at all
  tested     operations with at least one case sent and judged: a JUnit testsuite (one per
             operation) with a testcase that passed or failed (not <skipped>, not <error>), and
             their share of ALL the operations (goal: 90% or more per document)
  valid err  valid cases that failed (summary counts.by_class.valid.failed), and in brackets
             those no load warning explains (goal: 0)
  listed     operations the suite lists as not tested (summary `untested`, when present)
  warn       load warnings (summary `load_warnings`, when present)

Under a row, the reasons of the listed operations, grouped, most frequent first.

A failing valid case is explained when a load warning points into its operation
(`/paths/P/M...`, `/paths/P` for the path's parameters, or a component the operation reaches
through `$ref`s). A valid case is known by the finding's `class` when the summary has one, else
by a status finding whose expectation is labelled `(success)`; a valid failure that neither tells
apart counts as explained only when every failing case of unknown class is.

A document also fails when a credential the run was given appears in the suite's console, JUnit
report or summary (OUT/leaked.txt, written by the script: file and variable, never the value).

Exit code: 1 when a document has less than 90% of its operations tested, has an unexplained
valid-case error, leaked a credential, or was not run; else 0.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docstats  # noqa: E402

GOAL = 0.90


def norm(s):
    return re.sub(r"[^a-z0-9]", "", s.lower())


def unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def refs_in(node, out):
    if isinstance(node, dict):
        r = node.get("$ref")
        if isinstance(r, str) and r.startswith("#/components/"):
            parts = r[2:].split("/")
            if len(parts) >= 3:
                out.add((parts[1], unescape(parts[2])))
        for v in node.values():
            refs_in(v, out)
    elif isinstance(node, list):
        for v in node:
            refs_in(v, out)
    return out


def reached_components(doc, item, op):
    """The components an operation reaches through `$ref`s, transitively."""
    components = doc.get("components") or {}
    todo = refs_in(op, set()) | refs_in(item.get("parameters") or [], set())
    seen = set()
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        target = (components.get(key[0]) or {}).get(key[1])
        todo |= refs_in(target, set()) - seen
    return seen


class Doc:
    def __init__(self, path):
        self.raw = docstats.load(path)
        self.stats, listed = docstats.stats(path)
        self.ops = []  # (method, path, id, class, item, op)
        for method, p, op in docstats.operations(self.raw):
            item = self.raw["paths"][p]
            self.ops.append(
                (method, p, op.get("operationId"), docstats.security_class(self.raw, op), item, op)
            )
        self.by_key = {}
        for i, (method, p, op_id, *_rest) in enumerate(self.ops):
            keys = {norm(method + p)}
            if op_id:
                keys.add(norm(op_id))
            for k in keys:
                self.by_key.setdefault(k, i)

    def index(self, name):
        return self.by_key.get(norm(name))

    def explained_by(self, warning):
        """The operation indexes a load warning points into."""
        pointer = str(warning.get("pointer") or warning.get("location") or "")
        pointer = pointer.split("#", 1)[-1]
        hit = set()
        op_name = warning.get("operation")
        if isinstance(op_name, str) and self.index(op_name) is not None:
            hit.add(self.index(op_name))
        tokens = [unescape(t) for t in pointer.strip("/").split("/")] if pointer else []
        if len(tokens) >= 2 and tokens[0] == "paths":
            for i, (method, p, *_rest) in enumerate(self.ops):
                if p == tokens[1] and (len(tokens) == 2 or tokens[2].upper() in (method, "PARAMETERS")):
                    hit.add(i)
        if len(tokens) >= 3 and tokens[0] == "components":
            key = (tokens[1], tokens[2])
            for i, (_m, _p, _id, _c, item, op) in enumerate(self.ops):
                if key in reached_components(self.raw, item, op):
                    hit.add(i)
        return hit


def junit_results(path):
    """Per JUnit testsuite (operation): cases judged, and case id -> testsuite for failures."""
    judged, failing = {}, {}
    if not os.path.exists(path):
        return judged, failing
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return judged, failing
    for suite in root.iter("testsuite"):
        name = suite.get("name", "")
        n = 0
        for case in suite.iter("testcase"):
            if case.get("classname", "").startswith("provisionr-conformance.setup"):
                continue
            tags = {child.tag for child in case}
            if "skipped" in tags or "error" in tags:
                continue
            n += 1
            if "failure" in tags:
                failing[case.get("name", "")] = name
        judged[name] = judged.get(name, 0) + n
    return judged, failing


def load_summary(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def valid_errors(doc, summary, failing):
    """(valid cases failed, of them not explained by a load warning, the ids known of those)."""
    by_class = ((summary.get("counts") or {}).get("by_class")) or {}
    failed = int((by_class.get("valid") or {}).get("failed", 0))
    if failed == 0:
        return 0, 0, []
    warned = set()
    for w in summary.get("load_warnings") or []:
        if isinstance(w, dict):
            warned |= doc.explained_by(w)
    classes = {}  # case id -> "valid", "other" or None (unknown)
    for f in summary.get("violations") or []:
        case = f.get("case", "")
        if f.get("class"):
            classes[case] = "valid" if f["class"] == "valid" else "other"
        elif f.get("check") == "status":
            label = str(f.get("expected", ""))
            classes[case] = "valid" if label.endswith("(success)") else "other"
        else:
            classes.setdefault(case, None)

    def explained(case):
        op = failing.get(case)
        i = doc.index(op) if op is not None else None
        return i is not None and i in warned

    known_valid = [c for c, k in classes.items() if k == "valid"]
    unknown = [c for c, k in classes.items() if k is None]
    ids = [c for c in known_valid if not explained(c)]
    unexplained = len(ids)
    rest = max(0, failed - len(known_valid))
    if rest and not all(explained(c) for c in unknown):
        unexplained += rest
        ids.append(f"{rest} more among: " + ", ".join(c for c in unknown if not explained(c)))
    return failed, unexplained, ids


def given_schemes(out):
    """The scheme names a credential was given for (credentials.tsv, first column)."""
    try:
        with open(os.path.join(out, "credentials.tsv"), encoding="utf-8") as f:
            return {line.split("\t", 1)[0] for line in f if line.strip()}
    except OSError:
        return set()


def reasons_of(untested):
    """The reasons of the listed operations, grouped: [(count, reason)], most frequent first."""
    counts = {}
    for u in untested if isinstance(untested, list) else []:
        reason = str(u.get("reason", "?")) if isinstance(u, dict) else str(u)
        reason = re.sub(r"\s*\(at /.*\)$", "", reason)
        # One line for a keyword the generator lacks, whichever property holds it.
        reason = re.sub(r'schema pointer "[^"]*/([^"/]+)"', r'schema pointer ".../\1"', reason)
        counts[reason] = counts.get(reason, 0) + 1
    return sorted(((n, r) for r, n in counts.items()), key=lambda t: (-t[0], t[1]))


def row(name, doc_path, out, rc):
    r = {"name": name, "exit": rc}
    try:
        doc = Doc(doc_path)
    except Exception as e:  # a document the counter cannot read is reported, not a crash
        r["problem"] = f"cannot read {doc_path}: {e}"
        return r
    st = doc.stats
    r.update(openapi=st["openapi"], ops=st["operations"])
    given = given_schemes(out)
    r["cred"] = sum(1 for _m, _p, _id, _c, _item, op in doc.ops if docstats.satisfiable(doc.raw, op, given))
    judged, failing = junit_results(os.path.join(out, "junit.xml"))
    summary = load_summary(os.path.join(out, "summary.json"))
    tested, unmatched = set(), []
    for suite, n in judged.items():
        if n == 0:
            continue
        i = doc.index(suite)
        if i is None:
            unmatched.append(suite)
        else:
            tested.add(i)
    r["tested"] = len(tested)
    r["unmatched"] = unmatched
    r["valid_failed"], r["unexplained"], r["unexplained_ids"] = valid_errors(doc, summary, failing)
    untested = summary.get("untested")
    warnings = summary.get("load_warnings")
    r["listed"] = len(untested) if isinstance(untested, list) else None
    r["warnings"] = len(warnings) if isinstance(warnings, list) else None
    r["reasons"] = reasons_of(untested)
    try:
        with open(os.path.join(out, "leaked.txt"), encoding="utf-8") as f:
            r["leaked"] = [line.strip() for line in f if line.strip()]
    except OSError:
        r["leaked"] = []
    return r


def fmt(v):
    return "-" if v is None else str(v)


def main(args):
    rows = []
    for a in args:
        name, doc_path, out, rc = a.split("|")
        rows.append(row(name, doc_path, out, int(rc)))
    head = f"{'document':<22} {'openapi':>7} {'ops':>5} {'cred':>5} {'tested (of ops)':>15} {'valid err':>10} {'listed':>6} {'warn':>5} {'exit':>4}  verdict"
    print(head)
    print("-" * len(head))
    bad = 0
    for r in rows:
        if "problem" in r:
            print(f"{r['name']:<22} {r['problem']}")
            bad += 1
            continue
        reasons = []
        if r["exit"] < 0:
            reasons.append("not run")
        share = r["tested"] / r["ops"] if r["ops"] else 1.0
        pct = f"{r['tested']} ({100 * share:.0f}%)"
        if share < GOAL:
            reasons.append(f"tested below {100 * GOAL:.0f}% of the operations")
        if r["unexplained"]:
            reasons.append(f"{r['unexplained']} valid-case errors no load warning explains")
        if r["leaked"]:
            reasons.append("a credential appears in the output: " + "; ".join(sorted(set(r["leaked"]))))
        verdict = "ok" if not reasons else "FAIL: " + "; ".join(reasons)
        bad += bool(reasons)
        verr = f"{r['valid_failed']} ({r['unexplained']})"
        print(
            f"{r['name']:<22} {r['openapi']:>7} {r['ops']:>5} {r['cred']:>5} {pct:>15} {verr:>10} {fmt(r['listed']):>6} {fmt(r['warnings']):>5} {r['exit']:>4}  {verdict}"
        )
        for n, reason in r["reasons"][:4]:
            print(f"{'':<22} not tested {n:>3}: {reason}"[:200])
        if len(r["reasons"]) > 4:
            print(f"{'':<22} not tested: {len(r['reasons']) - 4} more reasons (summary.json)")
        if r["unexplained_ids"]:
            print(f"{'':<22} valid cases failed: {', '.join(r['unexplained_ids'])}"[:400])
        if r["unmatched"]:
            print(f"{'':<22} tested suites not matched to an operation of the document: {', '.join(r['unmatched'])}")
    total_ops = sum(r.get("ops", 0) for r in rows)
    total_t = sum(r.get("tested", 0) for r in rows)
    if total_ops:
        print(f"all documents: {total_t} of {total_ops} operations tested ({100 * total_t / total_ops:.0f}%); goal: {100 * GOAL:.0f}% of every document's operations, and no valid-case error a load warning does not explain")
    print(f"documents below the goal or with unexplained valid-case errors: {bad} of {len(rows)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
