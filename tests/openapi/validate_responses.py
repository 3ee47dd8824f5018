#!/usr/bin/env python3
"""Checks every response the end-to-end tests received (the JSON lines that
tests/support writes under SCHWARM_TEST_RESPONSES) against api/openapi.yaml:
the operation is described, its status is documented, the Content-Type is one
the document names, and the body validates against the schema (JSON Schema
2020-12, as OpenAPI 3.1 has it, with python3-jsonschema).

  validate_responses.py OPENAPI.yaml DIR [--at-least N]

--at-least N: fewer responses than N is a failure too (a full run sees
thousands; a recorder that wrote nothing must not pass).

Prints each kind of violation once with how often it was seen and an example,
and exits 1 if there was any."""
import collections
import glob
import json
import re
import sys

import jsonschema
import yaml


def operations(doc):
    ops = []
    for path, item in doc["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                ops.append((re.compile(pattern), path.count("{"), method.upper(), path, op))
    # A literal segment beats a parameter: /v1/projects/mine before /v1/projects/{id}.
    ops.sort(key=lambda o: o[1])
    return ops


def deref(doc, node):
    while isinstance(node, dict) and set(node) == {"$ref"}:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def main():
    doc = yaml.safe_load(open(sys.argv[1]))
    ops = operations(doc)
    resolver = jsonschema.RefResolver.from_schema(doc)
    validators = {}
    seen = 0
    problems = collections.OrderedDict()

    def violation(key, example):
        if key not in problems:
            problems[key] = [0, example]
        problems[key][0] += 1

    for name in sorted(glob.glob(sys.argv[2] + "/*.jsonl")):
        for line in open(name):
            r = json.loads(line)
            seen += 1
            path = r["target"].split("?")[0]
            match = next((o for o in ops if o[2] == r["method"] and o[0].match(path)), None)
            if not match:
                # A route the server does not have: its 404 or 405 is a problem too.
                if r["status"] in (404, 405):
                    op = {"responses": {"default": {"$ref": "#/components/responses/Problem"}}}
                    method, template = r["method"], "(no such route)"
                else:
                    violation(f'{r["method"]} {path}: not described', r["status"])
                    continue
            else:
                _, _, method, template, op = match
            where = f"{method} {template} {r['status']}"
            responses = op.get("responses", {})
            response = responses.get(str(r["status"])) or responses.get(f'{str(r["status"])[0]}XX') or \
                responses.get("default")
            if response is None:
                violation(f"{where}: status not documented", r["body"][:200])
                continue
            response = deref(doc, response)
            content = response.get("content")
            if not content or not r["body"]:
                continue
            ctype = r["headers"].get("content-type", "").split(";")[0].strip()
            media = content.get(ctype)
            if media is None:
                violation(f"{where}: Content-Type {ctype} not documented (has {', '.join(content)})", "")
                continue
            schema = media.get("schema")
            if schema is None or not ctype.endswith("json"):
                continue
            key = json.dumps(schema, sort_keys=True)
            if key not in validators:
                validators[key] = jsonschema.Draft202012Validator(schema, resolver=resolver)
            try:
                body = json.loads(r["body"])
            except ValueError:
                violation(f"{where}: body is not JSON", r["body"][:200])
                continue
            for error in validators[key].iter_errors(body):
                at = "/".join(str(p) for p in error.absolute_path)
                violation(f"{where}: at /{at}: {error.message[:160]}", r["body"][:300])
    for key, (count, example) in problems.items():
        print(f"{count:6d}× {key}\n        e.g. {example}")
    print(f"{seen} responses checked against {sys.argv[1]}; {len(problems)} kinds of violation")
    at_least = int(sys.argv[sys.argv.index("--at-least") + 1]) if "--at-least" in sys.argv else 0
    if seen < at_least:
        print(f"only {seen} responses were recorded, fewer than {at_least}")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
