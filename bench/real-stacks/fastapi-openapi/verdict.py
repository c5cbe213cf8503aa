#!/usr/bin/env python3
"""The verdict on the fastapi-openapi stack: each failure of the suite's run on the document
FastAPI generates is either a known real finding about FastAPI (listed below, with why it is a
departure from the document or from HTTP) or unexplained, which is to be read as a possible false
alarm of the suite until shown otherwise.

    verdict.py SUMMARY_JSON

It also says what this stack expects of the suite beyond its checks: every operation tested (the
API key and the basic credentials are given), and no valid request on an id the server does not
have (`POST /things` creates one, so a valid `GET`, `PUT` or `DELETE /things/{thing_id}` has an id
to take; a 404 tolerated on a valid case here means the id was not chained).

Exit code: 0 when every failure is a known real finding, every operation was tested and every id
chained; 1 otherwise; 2 when there is no summary (the run did not happen).
"""
import fnmatch
import json
import sys

# (case glob, check, why it is a real departure). Case ids are OPERATION_ID::KIND::...; FastAPI
# names the operations after the function, path and method (create_thing_things_post, ...).
REAL = [
    (
        "*::type::size::boolean",
        "status",
        "pydantic's lax mode reads JSON `true` as the integer 1: the document says `type: integer`, "
        "which a boolean is not (JSON Schema 2020-12 Validation 6.1.1)",
    ),
    (
        "*::type::size::string",
        "status",
        "pydantic's lax mode reads a numeric JSON string as an integer: the document says "
        "`type: integer`",
    ),
    (
        "*::property::invalid_body",
        "status",
        "a shrunk generated body whose `size` is a boolean or a numeric string, read by pydantic's "
        "lax mode as above (see the shrunk body in console.txt)",
    ),
    (
        "*::json::lone_surrogate",
        "status",
        "FastAPI's default 422 handler echoes the input and crashes encoding the lone surrogate: "
        "500 (as on the `fastapi` stack)",
    ),
    (
        "*::method::*",
        "allow_header",
        "Starlette answers 405 from the first route that matches the path, so `Allow` names only "
        "that route's methods (`POST` for /things, which also has GET); RFC 9110 15.5.6: the 405's "
        "`Allow` MUST list the target resource's methods",
    ),
]


def known(case, check):
    for pattern, chk, why in REAL:
        if chk == check and fnmatch.fnmatchcase(case, pattern):
            return why
    return None


def main(argv):
    try:
        with open(argv[1], encoding="utf-8") as f:
            summary = json.load(f)
    except (OSError, ValueError, IndexError) as e:
        print(f"verdict: no summary ({e}): the suite did not run on the document")
        return 2
    real, unexplained = {}, []
    for v in summary.get("violations") or []:
        case, check = v.get("case", "?"), v.get("check", "?")
        why = known(case, check)
        if why:
            real.setdefault(why, []).append(f"{case} ({check})")
        else:
            unexplained.append(v)
    counts = summary.get("counts") or {}
    print(
        f"verdict: {counts.get('failed')} of {counts.get('cases')} cases failed, "
        f"{counts.get('not_tested')} not tested; operations listed as not tested: "
        f"{len(summary.get('untested') or [])}"
    )
    for u in summary.get("untested") or []:
        print(f"  not tested: {u.get('operation')} ({u.get('method')} {u.get('path')}): {u.get('reason')}")
    print(f"real findings about FastAPI: {sum(len(c) for c in real.values())} failure(s)")
    for why, cases in real.items():
        print(f"  - {why}")
        for c in sorted(set(cases)):
            print(f"      {c}")
    print(f"unexplained (possible false alarms of the suite): {len(unexplained)}")
    for v in unexplained:
        print(f"  - {v.get('case')} ({v.get('check')}) at {v.get('location', '')}")
        print(f"      expected: {v.get('expected', '')}")
        print(f"      actual:   {v.get('actual', '')}")
    unchained = [
        w.get("case", "?")
        for w in summary.get("warnings") or []
        if w.get("check") == "status" and str(w.get("actual", "")).startswith("404 (tolerated")
    ]
    print(f"valid cases answered 404 on an id that was not chained: {len(unchained)}")
    for c in unchained:
        print(f"  - {c}")
    created = summary.get("created")
    n = len(created) if isinstance(created, list) else created
    print(f"created (the summary's created list): {n}")
    untested = summary.get("untested") or []
    if untested:
        print(f"expected every operation tested: {len(untested)} listed as not tested (above)")
    return 1 if unexplained or unchained or untested else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
