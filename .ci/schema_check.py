"""The JSON Schema that `switchboard schema` prints is a valid Draft 2020-12 schema that IDEs
can use: every reference workflow validates against it, and files with an unknown step kind,
an unknown field or a wrong type do not. Run by .ci/test with the built binary's path."""

import datetime
import glob
import json
import subprocess
import sys

import jsonschema
import yaml

binary = sys.argv[1]
schema = json.loads(subprocess.run([binary, "schema"], check=True, capture_output=True).stdout)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)


def plain(x):
    # PyYAML reads YAML 1.1 and turns dates into objects; the file format keeps them as text.
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    if isinstance(x, (datetime.date, datetime.datetime)):
        return x.isoformat()
    return x


failures = 0
passed = 0
for path in sorted(glob.glob("workflows/*.yaml")):
    errors = list(validator.iter_errors(plain(yaml.safe_load(open(path)))))
    if errors:
        failures += 1
        print(f"FAIL {path}: {errors[0].message[:300]}")
    else:
        passed += 1

for name in ["e0200-unknown-step-kind.yaml", "e0101-unknown-field.yaml", "e0102-wrong-type.yaml"]:
    path = f"steps/tests/broken/{name}"
    if validator.is_valid(plain(yaml.safe_load(open(path)))):
        failures += 1
        print(f"FAIL {path}: the schema accepts it")
    else:
        passed += 1

print(f"schema: {passed} passed, {failures} failed")
sys.exit(1 if failures else 0)
