#!/usr/bin/env python3
"""Read a JUnit report and print one line: `FAILURES ERRORS WHAT` (WHAT may hold spaces).

compare.sh decides "detected" from the report, not from the exit code alone: both tools also
exit non-zero when they could not test at all (a bad schema, a refused connection), and that
must not be scored as having found the planted bug. WHAT names the checks that failed, so the
table shows *why* a tool flagged a fault:
- provisionr-conformance puts the check name in each <failure type="...">;
- Schemathesis puts a generic type and lists each failed check in the text as `- ST108 Title`.
With no failure, WHAT names the checks that only *warned* (provisionr-conformance records each
warning as a `warning` property, e.g. a missing Allow header): the tool saw the fault but does
not fail the run for it unless told to (--strict), which the table should say rather than hide.
A missing or unreadable report prints `0 0 no-report`.
"""

import re
import sys
import xml.etree.ElementTree as ET

# Schemathesis's failure text: one "- CODE Title" line per failed check.
ST_CHECK = re.compile(r"^- (ST\d+) (.+)$", re.MULTILINE)
# provisionr-conformance's warning text: "warning: CASE: check `NAME` failed at ...".
WARNED_CHECK = re.compile(r"check `([^`]+)`")
# Keep the table narrow: show this many check names, then "+N".
SHOWN = 3


def main():
    try:
        root = ET.parse(sys.argv[1]).getroot()
    except (OSError, ET.ParseError, IndexError):
        print("0 0 no-report")
        return
    failures = root.findall(".//testcase/failure")
    errors = root.findall(".//testcase/error")
    names = []
    for failure in failures:
        found = ST_CHECK.findall(failure.text or "")
        if found:
            labels = [title.strip() for _code, title in found]
        else:
            labels = [failure.get("type") or "failure"]
        for label in labels:
            if label not in names:
                names.append(label)
    what = shorten(names)
    if not names and errors:
        what = "error:" + (errors[0].get("type") or "error")
    if not names and not errors:
        warned = []
        for prop in root.iter("property"):
            if prop.get("name") == "warning":
                for name in WARNED_CHECK.findall(prop.get("value", "")):
                    if name not in warned:
                        warned.append(name)
        if warned:
            what = "warned: " + shorten(warned)
    print(len(failures), len(errors), what or "-")


def shorten(names):
    text = ", ".join(names[:SHOWN])
    if len(names) > SHOWN:
        text += f", +{len(names) - SHOWN}"
    return text


if __name__ == "__main__":
    main()
