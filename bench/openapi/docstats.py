#!/usr/bin/env python3
"""Count the operations of an OpenAPI 3.x document, their security, and the security schemes the
suite can send a credential for, independently of the suite.

    docstats.py DOC                # prints one JSON object
    docstats.py --list DOC         # one line per operation: METHOD PATH OPERATION_ID CLASS SENDABLE
    docstats.py --credentials DOC  # one line per scheme the suite can send: NAME<TAB>KIND<TAB>FORM

A scheme the suite can send (`sendable`): HTTP bearer, HTTP basic, `apiKey` in a header, query or
cookie, OAuth2 and OpenID Connect (a token, sent as bearer). Not: mutual TLS, other HTTP schemes
(digest, ...). FORM is the form of the credential's value: `user:password` for basic, `token`
otherwise. An operation is sendable when its effective security is absent, `[]`, has an empty
alternative, or has an alternative whose schemes are all sendable.

An operation is "bearer or none" when its effective security (its own `security`, else the
document's) is absent, is `[]`, has an empty alternative `{}`, or has an alternative whose schemes
are all `type: http` with `scheme: bearer` (case-insensitive). Everything else (API keys, OAuth2,
OpenID Connect, basic, mutual TLS, an alternative naming an undefined scheme) is "other".

YAML needs PyYAML (the calling script puts a pinned copy on PYTHONPATH when it is missing); a
JSON document needs nothing.
"""
import json
import sys

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        return json.loads(text)
    import yaml  # PyYAML

    return yaml.safe_load(text)


def security_class(doc, op):
    security = op["security"] if "security" in op else doc.get("security")
    if not security:  # absent or []
        return "none"
    schemes = ((doc.get("components") or {}).get("securitySchemes")) or {}

    def is_bearer(name):
        s = schemes.get(name)
        return (
            isinstance(s, dict)
            and s.get("type") == "http"
            and str(s.get("scheme", "")).lower() == "bearer"
        )

    cls = "other"
    for alternative in security:
        if not alternative:
            return "none"
        if all(is_bearer(name) for name in alternative):
            cls = "bearer"
    return cls


def scheme_kind(s):
    """`http:bearer`, `http:basic`, `apiKey:header`, `oauth2`, `openIdConnect`, `mutualTLS`, ..."""
    kind = str(s.get("type", "?"))
    if kind == "http":
        kind += ":" + str(s.get("scheme", "?")).lower()
    elif kind == "apiKey":
        kind += ":" + str(s.get("in", "?"))
    return kind


SENDABLE = {
    "http:bearer",
    "http:basic",
    "apiKey:header",
    "apiKey:query",
    "apiKey:cookie",
    "oauth2",
    "openIdConnect",
}


def schemes_of(doc):
    schemes = ((doc.get("components") or {}).get("securitySchemes")) or {}
    return {name: s for name, s in schemes.items() if isinstance(s, dict)}


def sendable_schemes(doc):
    """(name, kind, form) of every scheme the suite can send a credential for."""
    out = []
    for name, s in schemes_of(doc).items():
        kind = scheme_kind(s)
        if kind in SENDABLE:
            out.append((name, kind, "user:password" if kind == "http:basic" else "token"))
    return out


def satisfiable(doc, op, given):
    """Whether credentials for the scheme names in `given` satisfy the operation's security."""
    security = op["security"] if "security" in op else doc.get("security")
    if not security:
        return True
    return any(
        isinstance(alt, dict) and all(name in given for name in alt) for alt in security
    )


def operations(doc):
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                yield method.upper(), path, op


def stats(path):
    doc = load(path)
    ops = list(operations(doc))
    classes = {"bearer": 0, "none": 0, "other": 0}
    listed = []
    for method, p, op in ops:
        c = security_class(doc, op)
        classes[c] += 1
        listed.append((method, p, op.get("operationId", "-"), c))
    kinds = [f"{name}={scheme_kind(s)}" for name, s in schemes_of(doc).items()]
    given = {name for name, _kind, _form in sendable_schemes(doc)}
    sendable = 0
    for i, (_method, _p, op) in enumerate(ops):
        ok = satisfiable(doc, op, given)
        sendable += ok
        listed[i] += ("sendable" if ok else "not-sendable",)
    return {
        "openapi": str(doc.get("openapi") or doc.get("swagger") or "?"),
        "operations": len(ops),
        "bearer": classes["bearer"],
        "none": classes["none"],
        "other": classes["other"],
        "bearer_or_none": classes["bearer"] + classes["none"],
        "sendable": sendable,
        "schemes": kinds,
        "webhooks": len(doc.get("webhooks") or {}),
    }, listed


def main(argv):
    if len(argv) == 3 and argv[1] == "--list":
        _, listed = stats(argv[2])
        for row in listed:
            print(*row)
        return 0
    if len(argv) == 3 and argv[1] == "--credentials":
        for row in sendable_schemes(load(argv[2])):
            print(*row, sep="\t")
        return 0
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    s, _ = stats(argv[1])
    print(json.dumps(s))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
