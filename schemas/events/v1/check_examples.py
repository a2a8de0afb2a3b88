#!/usr/bin/env python3
"""Check the LabelPulse v1 event examples against the JSON Schemas.

Usage:  python3 schemas/events/v1/check_examples.py [-v]
Needs:  pip install jsonschema rfc3339-validator

What it checks:
  1. every *.schema.json is a valid draft 2020-12 schema and has the expected $id;
  2. all schemas are registered in a referencing.Registry by $id, so every $ref
     resolves locally (no network retrieval is allowed);
  3. every example file is listed in examples/manifest.json and vice versa;
  4. each example validates against event.schema.json exactly as the manifest says,
     twice: with the "format" assertion on, and with it off (a validator that
     ignores "format" must reach the same verdict thanks to the timestamp pattern);
  5. for an invalid example, every reported error points at the manifest's
     "field" (a dotted path such as result.0.from_name), i.e. one defect only;
  6. valid examples under examples/<type>/ also validate against <type>.schema.json;
  7. entries with "schema_can_express": false must pass the schema and fail the
     decoder-only rule (review.submitted: completed_at earlier than started_at);
     every valid review.submitted example must satisfy that rule.
Exit status 0 when everything agrees, 1 otherwise.
"""

import json
import sys
from datetime import datetime
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples"
BASE = "https://labelpulse.dev/schemas/events/v1/"
VERBOSE = "-v" in sys.argv[1:]

problems = []


def problem(msg):
    problems.append(msg)
    print("MISMATCH:", msg)


def no_retrieve(uri):
    raise NoSuchResource(ref=uri)


def load_schemas():
    schemas = {}
    for path in sorted(HERE.glob("*.schema.json")):
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
        expected = BASE + path.name
        if schema.get("$id") != expected:
            problem(f"{path.name}: $id is {schema.get('$id')!r}, expected {expected!r}")
        schemas[path.name] = schema
    registry = Registry(retrieve=no_retrieve).with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in schemas.values()
    )
    return schemas, registry


def error_fields(error):
    """Dotted instance paths an error (and its sub-errors) points at."""
    if error.context:
        # anyOf/oneOf: the failure is at this location as a whole
        return {dotted(error.absolute_path)}
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = [p for p in error.validator_value if p not in error.instance]
        return {dotted(path + [m]) for m in missing}
    return {dotted(path)}


def dotted(parts):
    return ".".join(str(p) for p in parts)


def rfc3339(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def decoder_rule_violations(event):
    """Rules of the contract that JSON Schema cannot express."""
    out = []
    if event.get("type") == "review.submitted":
        try:
            if rfc3339(event["completed_at"]) < rfc3339(event["started_at"]):
                out.append("completed_at")
        except (KeyError, TypeError, ValueError):
            pass
    return out


def main():
    try:
        import rfc3339_validator  # noqa: F401  (jsonschema's date-time checker silently passes without it)
    except ImportError:
        print("rfc3339-validator is not installed: pip install rfc3339-validator")
        return 1

    schemas, registry = load_schemas()
    event_schema = schemas["event.schema.json"]
    with_format = Draft202012Validator(
        event_schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    without_format = Draft202012Validator(event_schema, registry=registry)

    manifest = json.loads((EXAMPLES / "manifest.json").read_text())
    listed = [m["file"] for m in manifest]
    on_disk = sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.glob("*/*.json"))
    for f in sorted(set(on_disk) - set(listed)):
        problem(f"{f}: not listed in manifest.json")
    for f in sorted(set(listed) - set(on_disk)):
        problem(f"{f}: listed in manifest.json but missing")
    if len(listed) != len(set(listed)):
        problem("manifest.json lists a file twice")

    counts = {"valid": 0, "invalid": 0, "decoder_only": 0}
    for entry in manifest:
        name = entry["file"]
        path = EXAMPLES / name
        if not path.exists():
            continue
        event = json.loads(path.read_text())
        expect_valid = entry["valid"]
        schema_can_express = entry.get("schema_can_express", True)
        schema_should_pass = expect_valid or not schema_can_express
        counts["valid" if expect_valid else "invalid"] += 1
        stem = Path(name).stem
        if stem.startswith("valid") != expect_valid:
            problem(f"{name}: file name disagrees with valid={expect_valid}")
        if expect_valid and entry.get("field") is not None:
            problem(f"{name}: valid example with field {entry['field']!r}")
        if not expect_valid and not entry.get("field"):
            problem(f"{name}: invalid example without field")

        for label, validator in (("format on", with_format), ("format off", without_format)):
            errors = list(validator.iter_errors(event))
            if schema_should_pass and errors:
                problem(f"{name} [{label}]: expected to pass the schema, got: "
                        + "; ".join(f"{dotted(e.absolute_path) or '<root>'}: {e.message}" for e in errors))
            elif not schema_should_pass and not errors:
                problem(f"{name} [{label}]: expected invalid ({entry['field']}), but it passes")
            elif not schema_should_pass:
                fields = set().union(*(error_fields(e) for e in errors))
                if fields != {entry["field"]}:
                    problem(f"{name} [{label}]: errors point at {sorted(fields)}, manifest says {entry['field']!r}: "
                            + "; ".join(e.message for e in errors))
                elif VERBOSE and label == "format on":
                    print(f"ok   {name}: {entry['field']}: {errors[0].message}")

        violations = decoder_rule_violations(event)
        if not schema_can_express:
            counts["decoder_only"] += 1
            if violations != [entry["field"]]:
                problem(f"{name}: expected decoder-rule violation at {entry['field']!r}, got {violations}")
            elif VERBOSE:
                print(f"ok   {name}: {entry['field']}: passes the schema, fails the decoder rule")
        elif expect_valid and violations:
            problem(f"{name}: valid example violates decoder rule(s) {violations}")

        # valid examples in a per-type folder also pass that type's own schema
        folder = Path(name).parent.name
        if expect_valid and folder + ".schema.json" in schemas:
            own = Draft202012Validator(
                schemas[folder + ".schema.json"], registry=registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            for e in own.iter_errors(event):
                problem(f"{name}: fails {folder}.schema.json: {e.message}")
        if expect_valid and VERBOSE:
            print(f"ok   {name}")

    print(f"{len(schemas)} schemas, {len(manifest)} examples "
          f"({counts['valid']} valid, {counts['invalid']} invalid, of which "
          f"{counts['decoder_only']} decoder-only), checked with format assertion on and off")
    if problems:
        print(f"FAILED: {len(problems)} mismatch(es)")
        return 1
    print("OK: every example agrees with the manifest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
