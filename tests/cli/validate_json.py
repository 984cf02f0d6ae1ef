#!/usr/bin/env python3
"""Check beamdump JSON documents against docs/beamdump.schema.json.

Only the parts of JSON Schema that the schema uses are implemented (type,
const, enum, pattern, minimum, properties, additionalProperties, required,
items, allOf, oneOf, if/then, local $ref), with the standard library only.
Usage: validate_json.py SCHEMA FILE...   ("-" reads one document from stdin)
"""
import json
import re
import sys

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def errors(schema, value, root, path):
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        yield from errors(target, value, root, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in types):
            yield f"{path}: {json.dumps(value)[:60]} is not {'/'.join(types)}"
            return
    if "const" in schema and value != schema["const"]:
        yield f"{path}: {value!r} is not {schema['const']!r}"
    if "enum" in schema and value not in schema["enum"]:
        yield f"{path}: {value!r} is not one of {schema['enum']}"
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        yield f"{path}: {value!r} does not match {schema['pattern']}"
    if "minimum" in schema and TYPES["number"](value) and value < schema["minimum"]:
        yield f"{path}: {value} is below {schema['minimum']}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                yield f"{path}: missing key {key!r}"
        props = schema.get("properties", {})
        for key, v in value.items():
            if key in props:
                yield from errors(props[key], v, root, f"{path}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                yield from errors(schema["additionalProperties"], v, root, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            yield from errors(schema["items"], v, root, f"{path}[{i}]")
    for sub in schema.get("allOf", []):
        yield from errors(sub, value, root, path)
    if "oneOf" in schema:
        ok = [s for s in schema["oneOf"] if not list(errors(s, value, root, path))]
        if len(ok) != 1:
            yield f"{path}: matches {len(ok)} of the oneOf alternatives, not 1"
    if "if" in schema and not list(errors(schema["if"], value, root, path)):
        yield from errors(schema.get("then", {}), value, root, path)


def main():
    schema = json.load(open(sys.argv[1]))
    bad = 0
    for name in sys.argv[2:]:
        doc = json.load(sys.stdin if name == "-" else open(name))
        errs = list(errors(schema, doc, schema, "$"))
        for e in errs[:10]:
            print(f"{name}: {e}")
        bad += bool(errs)
    print(f"json schema: {len(sys.argv) - 2 - bad} valid, {bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
