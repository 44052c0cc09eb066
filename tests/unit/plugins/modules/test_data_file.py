"""data_file end to end: real `ansible localhost -m golive.readiness.data_file` runs over real data files."""

from __future__ import annotations

import json
import os
import time

from ansible_collections.golive.readiness.plugins.module_utils._checks import data_file

from ._adhoc import ansible_run, assert_documents_options

HOUR = 3600


def write(where, name, text, age=HOUR, encoding="utf-8"):
    target = where / name
    target.write_bytes(text.encode(encoding))
    then = time.time() - age
    os.utime(str(target), (then, then))
    return str(target)


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("data_file", data_file)
    checks = doc["options"]["checks"]["suboptions"]
    assert checks["format"]["choices"] == list(data_file.FORMATS)
    assert set(checks["key_value"]["suboptions"]) == set(data_file.KEY_VALUE_OPTIONS)
    assert doc["requirements"] == ["jmespath (on the managed host, only for I(json_query))"]


def test_module_checks_real_data_files(tmp_path):
    write(tmp_path, "rates-2026-11-23.csv", "currency,rate\nUSD,1.0\nEUR,0.92\n", age=26 * HOUR)
    rates = write(tmp_path, "rates-2026-11-24.csv", "currency,rate\nUSD,1.0\nEUR,0.93\nGBP,0.79\n")
    broken = write(tmp_path, "broken.csv", "currency,rate\nUSD,2.0\nEUR,confidential-figure\n")
    latin = write(tmp_path, "cities.csv", "city\nBerlin\nZ\u00fcrich\n", encoding="latin-1")
    catalogue = write(tmp_path, "catalogue.json", json.dumps({"products": [{"sku": "A", "price": 3}]}))
    events = write(tmp_path, "events.jsonl", '{"level": "info"}\n{"level": "error"}\n', age=3 * HOUR)
    done, result = ansible_run("data_file", {"checks": [
        {"path": str(tmp_path / "rates-*.csv"), "max_age": "2h", "columns": ["currency", "rate"],
         "rows_fail_below": 3, "numeric_bounds": {"rate": {"min": 0}},
         "key_value": [{"key_column": "currency", "key": "USD", "column": "rate", "equals": 1}]},
        {"path": broken, "numeric_bounds": {"rate": {"min": 0}},
         "key_value": [{"key_column": "currency", "key": "USD", "column": "rate", "equals": 1.0}]},
        {"path": latin},
        {"path": catalogue, "json_query": [{"query": "length(products)", "min": 1}]},
        {"path": events, "age_warn_above": "1h", "severity": "medium",
         "json_query": [{"query": "[?level == 'error'] | length(@)", "equals": 1}]},
        {"path": str(tmp_path / "missing.csv")},
    ]}, verbose=True)
    assert done.returncode == 2
    records = result["golive_checks"]
    assert [r["status"] for r in records] == ["pass", "fail", "error", "pass", "warn", "fail"]
    assert records[0]["id"] == f"data_file:{tmp_path}/rates-*.csv"
    assert records[0]["observed"]["path"] == rates and records[0]["observed"]["matches"]["value"] == 2
    assert records[0]["observed"]["rows"]["value"] == 3
    assert records[1]["summary"] == ("rate: 1 row not numeric (line 3); rate of currency=USD is 2.0, "
                                     "expected 1.0 (line 2)")
    assert records[2]["summary"] == "cannot decode line 3, byte 2 as utf-8 (is encoding right?)"
    assert records[4]["severity"] == "medium" and records[4]["observed"]["rows"]["value"] == 2
    assert records[5]["summary"] == "%s does not exist" % (tmp_path / "missing.csv")
    assert result["golive_counts"] == {"pass": 2, "warn": 1, "fail": 2, "error": 1, "skipped": 0}
    assert "confidential-figure" not in done.stdout + done.stderr


def test_bad_options_fail_the_task_naming_the_option(tmp_path):
    done, result = ansible_run("data_file", {"checks": [
        {"path": "exports/rates.csv"},
        {"path": str(tmp_path / "a.csv"), "json_query": [{"query": "length(@)", "min": 1}]},
        {"path": str(tmp_path / "a.csv"), "numeric_bounds": {"rate": {"min": 2, "max": 1}}},
    ]})
    assert done.returncode == 2
    assert result["msg"].startswith("invalid check options: ")
    assert "checks[0]: path: 'exports/rates.csv' must be absolute" in result["msg"]
    assert "checks[1]: json_query: only for json and jsonl files" in result["msg"]
    assert "checks[2]: numeric_bounds[rate]: min (2) is above max (1)" in result["msg"]
    assert "golive_checks" not in result


def test_key_value_without_key_is_refused_before_anything_runs(tmp_path):
    done, result = ansible_run("data_file", {"checks": [
        {"path": str(tmp_path / "a.csv"), "key_value": [{"key_column": "currency", "column": "rate", "equals": 1}]},
    ]})
    assert done.returncode == 2
    assert result["msg"] == "missing required arguments: key found in checks -> key_value"
