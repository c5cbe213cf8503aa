#!/usr/bin/env python3
"""An OpenAPI 3.1 document with one operation whose request body has a schema of a given shape.

    gen_schema_doc.py wide N OUT       # N string properties, every other one required
    gen_schema_doc.py deep N OUT       # objects nested N levels, each with two properties
    gen_schema_doc.py recursive N OUT  # N tree-node components, each with children of its own kind
"""
import json
import sys


def wide(n):
    props = {f"f{i}": {"type": "string", "maxLength": 20} for i in range(n)}
    required = [f"f{i}" for i in range(0, n, 2)]
    return {"type": "object", "properties": props, "required": required}, {}


def deep(n):
    schema = {"type": "object", "properties": {"leaf": {"type": "string"}}, "required": ["leaf"]}
    for i in range(n):
        schema = {
            "type": "object",
            "properties": {"name": {"type": "string", "maxLength": 30}, "child": schema},
            "required": ["name", "child"],
        }
    return schema, {}


def recursive(n):
    components = {}
    for i in range(n):
        components[f"Node{i}"] = {
            "type": "object",
            "properties": {
                "label": {"type": "string", "maxLength": 30},
                "children": {"type": "array", "items": {"$ref": f"#/components/schemas/Node{i}"}},
            },
            "required": ["label"],
        }
    props = {f"tree{i}": {"$ref": f"#/components/schemas/Node{i}"} for i in range(n)}
    return {"type": "object", "properties": props}, components


def main():
    shape, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    schema, components = {"wide": wide, "deep": deep, "recursive": recursive}[shape](n)
    doc = {
        "openapi": "3.1.0",
        "info": {"title": f"{shape} {n}", "version": "1"},
        "paths": {
            "/things": {
                "post": {
                    "operationId": "make",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": schema}},
                    },
                    "responses": {"201": {"description": "created"}},
                }
            }
        },
    }
    if components:
        doc["components"] = {"schemas": components}
    with open(out, "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
