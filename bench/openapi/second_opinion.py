#!/usr/bin/env python3
"""A second opinion on the suite's `response_schema` errors of a real-documents run.

    python3 bench/openapi/second_opinion.py DOC REPORT_DIR

Reads REPORT_DIR/junit.xml, takes every `response_schema` error (operation, status, the schema
pointer the suite names, the value it refused), finds that subschema in DOC (the document
itself, `$ref`s followed), and has Ajv (JSON Schema 2020-12, JavaScript's ECMA-262 `RegExp`
with the `u` flag, formats asserted by ajv-formats; from Prism's node_modules in the bench
cache) validate the value. Prints how many Ajv refuses too and lists those it accepts: each of
those is a possible false alarm of the suite. `nullable: true` leaves null open, as the suite
reads it. A value the report masked (`[MASKED]`, the value of a secret-looking field) is read as
`"string"`, Prism's static value: pass --no-masked to leave those out instead.
Exit code: 0 when Ajv refuses every value, 1 when it accepts one, 2 on bad input.
"""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_MODULES = os.path.join(os.environ.get("OPENAPI_BENCH_CACHE", os.path.join(HERE, ".cache")), "node_modules")
ERROR = re.compile(r"\[error\] check `response_schema` failed at (\S+)\n  expected: `\w+` at schema (\S+)\n  actual:   (.*)")
AJV = r"""
const [mods, file] = process.argv.slice(1);
const Ajv = require(mods + '/ajv/dist/2020').default, formats = require(mods + '/ajv-formats');
const ajv = new Ajv({strict: false, unicodeRegExp: true}); formats(ajv);
const nullable = x => Array.isArray(x) ? x.map(nullable) : (x && typeof x === 'object') ? (() => {
  const o = {}; for (const [k, v] of Object.entries(x)) if (k !== 'nullable') o[k] = nullable(v);
  if (x.nullable !== true) return o;
  if (typeof x.type === 'string') { o.type = [x.type, 'null']; return o; }
  return x.type ? o : {anyOf: [o, {type: 'null'}]};
})() : x;
const items = require(file);
console.log(JSON.stringify(items.map(i => ajv.validate(nullable(i.schema), i.value))));
"""


def main(argv):
    args = [a for a in argv if a != "--no-masked"]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    doc_path, out = args
    with open(doc_path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    ops = {o["operationId"]: o for it in doc["paths"].values() for o in it.values()
           if isinstance(o, dict) and "operationId" in o}

    def deref(x):
        while isinstance(x, dict) and "$ref" in x:
            cur = doc
            for t in x["$ref"][2:].split("/"):
                cur = cur[t.replace("~1", "/").replace("~0", "~")]
            x = cur
        return x

    items = []
    for tc in ET.parse(os.path.join(out, "junit.xml")).iter("testcase"):
        f = tc.find("failure")
        if f is None or not f.text:
            continue
        status = re.search(r"-> (\d{3}) in", f.text)
        for at, schema_at, actual in ERROR.findall(f.text):
            m = re.match(r"^(.*?) (does not match|is not valid under any|is not of type|is not a|is not one of)", actual)
            op = ops.get(tc.get("name").split("::")[0])
            if not (m and status and op):
                continue
            text = m.group(1)
            if "[MASKED]" in text:
                if "--no-masked" in argv:
                    continue
                text = text.replace("[MASKED]", "string")
            response = deref(op["responses"].get(status.group(1)) or op["responses"].get("default"))
            schema = deref((response.get("content") or {}).get("application/json", {}).get("schema"))
            try:
                for t in schema_at.strip("/").split("/")[:-1]:
                    schema = deref(schema[int(t)] if isinstance(schema, list) else schema[t])
                value = json.loads(text)
            except (KeyError, IndexError, ValueError, TypeError):
                continue
            items.append({"case": tc.get("name"), "at": at, "schema_at": schema_at, "value": value, "schema": schema})
    path = os.path.abspath(os.path.join(out, "second_opinion.json"))
    with open(path, "w", encoding="utf-8") as f:
        json.dump(items, f)
    verdicts = json.loads(subprocess.run(["node", "-e", AJV, NODE_MODULES, path], check=True,
                                         capture_output=True, text=True).stdout)
    accepted = [i for i, ok in zip(items, verdicts) if ok]
    print(f"{len(items)} response_schema errors read; Ajv refuses {len(items) - len(accepted)}, accepts {len(accepted)}")
    for i in accepted[:20]:
        print(f"  possible false alarm: {i['case']} at {i['at']} (schema {i['schema_at']}): {json.dumps(i['value'])[:120]}")
    return 1 if accepted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
