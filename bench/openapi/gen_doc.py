#!/usr/bin/env python3
"""Write a generated OpenAPI 3.1 document of exactly N operations, as YAML.

    gen_doc.py N OUT.yaml                  # a few schemas shared by every resource
    gen_doc.py --per-resource N OUT.yaml   # each resource with schemas of its own

Shaped like a real API: resources `/res{K}` with a list (GET, query parameters by `$ref` and
inline), a create (POST, JSON body by `$ref`), a read (GET `/res{K}/{id}`), an update (PATCH, or
PUT for every third resource) and a delete (DELETE), five operations a resource, the last
resource cut to make N. A few shared component schemas (Item, NewItem, ItemPatch, Page, Error;
with --per-resource, each resource has its own Item, NewItem, ItemPatch and Page, as APIs with
many resources do), shared parameters and responses, every operation behind an HTTP bearer scheme, documented 2xx
and 4xx answers. Deterministic: the same N gives the same bytes.
"""
import json
import re
import sys


def components():
    return {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        "parameters": {
            "Limit": {
                "name": "limit", "in": "query", "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            },
            "Cursor": {
                "name": "cursor", "in": "query", "required": False,
                "schema": {"type": "string", "maxLength": 64},
            },
            "ItemId": {
                "name": "id", "in": "path", "required": True,
                "schema": {"type": "string", "pattern": "^[a-z0-9_]{1,32}$"},
                "example": "item_01",
            },
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "responses": {
            "BadRequest": {"description": "invalid request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "Unauthorized": {"description": "missing or invalid token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "NotFound": {"description": "no such item", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    }


def item_schemas(sfx):
    """The schemas of one resource (sfx = "" for the shared ones)."""
    return {
        f"NewItem{sfx}": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 80},
                "description": {"type": ["string", "null"], "maxLength": 500},
                "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 10},
                "priority": {"type": "integer", "minimum": 0, "maximum": 9},
                "kind": {"type": "string", "enum": ["small", "medium", "large"]},
            },
        },
        f"ItemPatch{sfx}": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 80},
                "priority": {"type": "integer", "minimum": 0, "maximum": 9},
            },
        },
        f"Item{sfx}": {
            "allOf": [
                {"$ref": f"#/components/schemas/NewItem{sfx}"},
                {
                    "type": "object",
                    "required": ["id", "created_at"],
                    "properties": {
                        "id": {"type": "string"},
                        "created_at": {"type": "string", "format": "date-time"},
                    },
                },
            ]
        },
        f"Page{sfx}": {
            "type": "object",
            "required": ["items"],
            "properties": {
                "items": {"type": "array", "items": {"$ref": f"#/components/schemas/Item{sfx}"}},
                "next_cursor": {"type": ["string", "null"]},
            },
        },
    }


def json_body(ref):
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def errors(*names):
    return {str(code): {"$ref": f"#/components/responses/{name}"} for code, name in names}


def resource_ops(k, sfx=""):
    """The five operations of resource k, in order: (path, method, operation); their schemas
    are those of suffix sfx."""
    col, one = f"/res{k}", f"/res{k}/{{id}}"
    err = [(400, "BadRequest"), (401, "Unauthorized")]
    return [
        (col, "get", {
            "operationId": f"listRes{k}",
            "summary": f"List resource {k}",
            "parameters": [
                {"$ref": "#/components/parameters/Limit"},
                {"$ref": "#/components/parameters/Cursor"},
                {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["name", "-name", "created_at"]}},
            ],
            "responses": {"200": {"description": "a page", **json_body("Page" + sfx)}, **errors(*err)},
        }),
        (col, "post", {
            "operationId": f"createRes{k}",
            "requestBody": {"required": True, **json_body("NewItem" + sfx)},
            "responses": {"201": {"description": "created", **json_body("Item" + sfx)}, **errors(*err)},
        }),
        (one, "get", {
            "operationId": f"getRes{k}",
            "parameters": [{"$ref": "#/components/parameters/ItemId"}],
            "responses": {"200": {"description": "the item", **json_body("Item" + sfx)}, **errors(*err, (404, "NotFound"))},
        }),
        (one, "put" if k % 3 == 2 else "patch", {
            "operationId": f"updateRes{k}",
            "parameters": [{"$ref": "#/components/parameters/ItemId"}],
            "requestBody": {"required": True, **json_body(("NewItem" if k % 3 == 2 else "ItemPatch") + sfx)},
            "responses": {"200": {"description": "updated", **json_body("Item" + sfx)}, **errors(*err, (404, "NotFound"))},
        }),
        (one, "delete", {
            "operationId": f"deleteRes{k}",
            "parameters": [{"$ref": "#/components/parameters/ItemId"}],
            "responses": {"204": {"description": "deleted"}, **errors((401, "Unauthorized"), (404, "NotFound"))},
        }),
    ]


def document(n, per_resource=False):
    paths = {}
    comps = components()
    if not per_resource:
        comps["schemas"].update(item_schemas(""))
    count, k = 0, 0
    while count < n:
        sfx = str(k) if per_resource else ""
        if per_resource:
            comps["schemas"].update(item_schemas(sfx))
        for path, method, op in resource_ops(k, sfx):
            if count == n:
                break
            paths.setdefault(path, {})[method] = op
            count += 1
        k += 1
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Generated API of {n} operations", "version": "1.0.0"},
        "servers": [{"url": "https://api.example.test/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": comps,
    }


PLAIN = re.compile(r"^[A-Za-z_$/][A-Za-z0-9_$/{}.-]*$")


def key_text(key):
    key = str(key)
    return key if PLAIN.match(key) and key not in ("true", "false", "null", "yes", "no") else json.dumps(key)


def lines(node, indent):
    """Block-style YAML lines, as people write it; scalars as JSON, which YAML reads the same."""
    pad = "  " * indent
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)) and value:
                out.append(f"{pad}{key_text(key)}:")
                out.extend(lines(value, indent + 1))
            else:
                out.append(f"{pad}{key_text(key)}: {scalar(value)}")
    else:
        for value in node:
            if isinstance(value, dict) and value:
                inner = lines(value, indent + 1)
                out.append(f"{pad}- " + inner[0].lstrip())
                out.extend(inner[1:])
            else:
                out.append(f"{pad}- {scalar(value)}")
    return out


def scalar(value):
    if value == {}:
        return "{}"
    if value == []:
        return "[]"
    return json.dumps(value)


def main(argv):
    args = argv[1:]
    per_resource = "--per-resource" in args
    args = [a for a in args if a != "--per-resource"]
    if len(args) != 2 or not args[0].isdigit():
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(args[1], "w", encoding="utf-8") as f:
        f.write("\n".join(lines(document(int(args[0]), per_resource), 0)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
