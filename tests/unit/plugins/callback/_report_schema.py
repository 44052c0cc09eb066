"""report.json checked against the collection's JSON Schema (docs/report.schema.json)."""

from __future__ import annotations

import json
import os

import jsonschema

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SCHEMA_PATH = os.path.join(REPO, "docs", "report.schema.json")


def schema_errors(document):
    """Where a report departs from docs/report.schema.json: ['path: message', ...]."""
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        validator = jsonschema.Draft202012Validator(json.load(handle),
                                                    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
