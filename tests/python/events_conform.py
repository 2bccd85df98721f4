"""Validates webhook event bodies against the `webhooks` section of an
OpenAPI 3.1 contract with the `jsonschema` package (JSON Schema 2020-12).

Usage: python3 events_conform.py CONTRACT.json < EVENTS.json
EVENTS.json is a JSON array of delivered bodies. Prints one line per
violation and exits 1 if there is any.
"""
import json
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "urn:usd1:contract"


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        contract = json.load(f)
    events = json.load(sys.stdin)
    registry = Registry().with_resource(
        BASE, Resource.from_contents(contract, default_specification=DRAFT202012)
    )
    problems = []
    for event in events:
        kind = event.get("type")
        hook = contract.get("webhooks", {}).get(kind)
        if hook is None:
            problems.append(f"{kind}: no such event in the contract")
            continue
        schema = hook["post"]["requestBody"]["content"]["application/json"]["schema"]
        validator = Draft202012Validator({"$ref": BASE + schema["$ref"]}, registry=registry)
        for error in validator.iter_errors(event):
            where = "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{kind} {event.get('id')}: {error.message} at /{where}")
    for problem in problems:
        print(problem)
    print(f"{len(events)} events checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
