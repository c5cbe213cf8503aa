#!/usr/bin/env python3
"""Print one stack's result from the suite's summary.json: exit code, cases failed, and the
failing checks grouped by check (case id, expected, actual).

Usage: summarize.py STACK RC SUMMARY          one stack, in detail
       summarize.py --table REPORTS STACK...  one Markdown row per stack (REPORTS/STACK/)"""

import json
import sys
from collections import defaultdict


def clip(text, width=110):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def table(reports, stacks):
    print("| stack | exit | cases failed | not tested | errors (by check) |")
    print("| --- | --- | --- | --- | --- |")
    for stack in stacks:
        try:
            with open(f"{reports}/{stack}/exit_code", encoding="utf-8") as f:
                rc = f.read().strip()
        except OSError:
            rc = "-"
        try:
            with open(f"{reports}/{stack}/summary.json", encoding="utf-8") as f:
                summary = json.load(f)
        except (OSError, ValueError):
            print(f"| {stack} | {rc} | - | - | no summary (see console.txt) |")
            continue
        counts = summary.get("counts", {})
        by_check = defaultdict(set)
        for v in summary.get("violations", []):
            by_check[v.get("check", "?")].add(v["case"])
        checks = ", ".join(
            f"{check} {len(cases)}"
            for check, cases in sorted(by_check.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        )
        print(
            f"| {stack} | {rc} | {counts.get('failed')} of {counts.get('cases')} | "
            f"{counts.get('not_tested')} | {checks or '-'} |"
        )


def main():
    if sys.argv[1] == "--table":
        table(sys.argv[2], sys.argv[3:])
        return
    stack, rc, path = sys.argv[1], sys.argv[2], sys.argv[3]
    try:
        with open(path, encoding="utf-8") as f:
            summary = json.load(f)
    except (OSError, ValueError) as e:
        print(f"== {stack}: exit {rc}; no summary ({e})")
        return
    counts = summary.get("counts", {})
    print(
        f"== {stack}: exit {rc}; cases {counts.get('cases')}, failed {counts.get('failed')}, "
        f"not tested {counts.get('not_tested')}; violations {counts.get('violations')}, "
        f"warnings {counts.get('warnings')}"
    )
    for title, key in (("errors", "violations"), ("warnings", "warnings")):
        by_check = defaultdict(list)
        for v in summary.get(key, []):
            by_check[v.get("check", "?")].append(v)
        if not by_check:
            continue
        print(f"   {title}:")
        for check, items in sorted(by_check.items(), key=lambda kv: -len(kv[1])):
            cases = sorted({v["case"] for v in items})
            print(f"   - {check}: {len(items)} in {len(cases)} case(s)")
            shown = set()
            for v in items:
                if v["case"] in shown:
                    continue
                shown.add(v["case"])
                print(f"       {v['case']}  at {v.get('location', '')}")
                print(f"         expected: {clip(v.get('expected', ''))}")
                print(f"         actual:   {clip(v.get('actual', ''))}")
                if len(shown) >= 12 and len(cases) > len(shown):
                    print(f"       … and {len(cases) - len(shown)} more case(s)")
                    break
    for n in summary.get("not_tested", [])[:5]:
        print(f"   not tested: {n.get('case')}: {clip(n.get('message', ''))}")
    if summary.get("stopped"):
        print(f"   stopped: {clip(summary['stopped'])}")


if __name__ == "__main__":
    main()
