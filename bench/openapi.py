#!/usr/bin/env python3
"""Assemble an OpenAPI 3.1 document for the endpoint from the project's own contract files.

The suite reads its contract from schemas/ (the endpoint file and two JSON Schemas). To compare
it fairly with an OpenAPI-driven tool, that tool must see the same contract, so this script
derives the OpenAPI document from those files at run time instead of keeping a hand-made copy
that could drift: schemas/ stays the one source of truth.

Usage: openapi.py [--schemas DIR] [--service ID] [--base-url URL] [-o OUT]
"""

import argparse
import copy
import glob
import json
import os
import sys

# Keys that only make sense at the root of a standalone JSON Schema document. Inside an OpenAPI
# component a `$id` would re-base every relative reference below it and `$schema` is implied by
# `jsonSchemaDialect`, so both are dropped; everything else is carried over untouched.
STANDALONE_ONLY_KEYS = ("$schema", "$id")

# OpenAPI 3.1 uses JSON Schema 2020-12, the same dialect as the project's schema files, so the
# schemas can be embedded as they are (no 3.0 `nullable` rewriting needed).
DIALECT = "https://json-schema.org/draft/2020-12/schema"

REASONS = {
    200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 415: "Unsupported Media Type",
    422: "Unprocessable Content",
}


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def component_schema(path):
    schema = copy.deepcopy(load_json(path))
    for key in STANDALONE_ONLY_KEYS:
        schema.pop(key, None)
    return schema


def find_endpoint_file(schemas_dir):
    found = sorted(glob.glob(os.path.join(schemas_dir, "*.endpoint.json")))
    if len(found) != 1:
        # The suite tests one endpoint per schemas/ folder; refuse to guess between several.
        sys.exit(f"openapi.py: expected exactly one *.endpoint.json in {schemas_dir}, found {found}")
    return found[0]


def build(schemas_dir, service, base_url):
    endpoint = load_json(find_endpoint_file(schemas_dir))
    request = component_schema(os.path.join(schemas_dir, endpoint["request_schema"]))
    response = component_schema(os.path.join(schemas_dir, endpoint["response_schema"]))
    request_name = request.get("title", "Request")
    response_name = response.get("title", "Response")
    media = endpoint["content_type"]

    # Path parameters. A run targets one known service (the suite's --service), so the value a
    # valid request must carry is pinned with `enum`; without it the tool would spend most of
    # its "valid" examples on random ids that are (correctly) answered 404. Negative generation
    # still mutates it, which mirrors the suite's unknown-service cases.
    parameters = []
    for name, spec in endpoint.get("path_params", {}).items():
        schema = {"type": "string"}
        if service:
            schema["enum"] = [service]
        param = {"name": name, "in": "path", "required": True, "schema": schema}
        if spec.get("description"):
            param["description"] = spec["description"]
        param["example"] = service or spec.get("example")
        parameters.append(param)

    responses = {}
    for status in endpoint["success"]:
        responses[str(status)] = {
            "description": REASONS.get(status, "Success"),
            "content": {media: {"schema": {"$ref": f"#/components/schemas/{response_name}"}}},
        }
    # The rejection statuses of the endpoint file. `method` (405) is left out: it is what the
    # path answers to *other* methods, not a response of this operation. The page documents no
    # error body, so none is declared (the tool then checks only the status and media type).
    for kind, statuses in endpoint.get("expectations", {}).items():
        if kind == "method":
            continue
        for status in statuses:
            responses.setdefault(str(status), {"description": REASONS.get(status, "Client error")})

    scheme = endpoint.get("auth", {}).get("scheme", "bearer")
    operation = {
        "operationId": endpoint["operation"],
        "summary": endpoint.get("title", endpoint["operation"]),
        "parameters": parameters,
        "security": [{"bearerAuth": []}],
        "requestBody": {
            "required": True,
            "content": {media: {"schema": {"$ref": f"#/components/schemas/{request_name}"}}},
        },
        "responses": dict(sorted(responses.items())),
    }

    doc = {
        "openapi": "3.1.0",
        "jsonSchemaDialect": DIALECT,
        "info": {
            "title": f"{endpoint.get('title', endpoint['operation'])} (from schemas/)",
            "version": "bench",
        },
        "paths": {endpoint["path"]: {endpoint["method"].lower(): operation}},
        "components": {
            "schemas": {request_name: request, response_name: response},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": scheme}},
        },
    }
    if base_url:
        doc["servers"] = [{"url": base_url}]
    return doc


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", default=os.path.join(here, "..", "schemas"))
    parser.add_argument("--service", help="the service id a valid request uses")
    parser.add_argument("--base-url", help="written as the document's only server")
    parser.add_argument("-o", "--output", help="output file (default: stdout)")
    args = parser.parse_args()

    text = json.dumps(build(args.schemas, args.service, args.base_url), indent=2, ensure_ascii=False)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
