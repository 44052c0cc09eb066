"""data_file: real CSV, JSON and JSON Lines files with real modification times, read as root and as nobody."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError, OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import data_file
from ansible_collections.golive.readiness.plugins.module_utils._runner import CheckContext

from ._kind_runner import run_item, validated_item
from ._realfs import nobody, run_check_as, searchable_tmp_dir

HOUR = 3600
FX_HEADER = "currency,rate,published_at\n"
FX_ROWS = ["USD,1.0,2026-11-24", "EUR,0.92,2026-11-24", "GBP,0.79,2026-11-24", "JPY,151.3,2026-11-24",
           "CHF,0.88,2026-11-24"]
FX_OPTIONS = dict(columns=["currency", "rate", "published_at"], rows_fail_below=5,
                  numeric_bounds={"rate": {"min": 0.0001, "max": 100000}},
                  key_value=[dict(key_column="currency", key="USD", column="rate", equals=1.0)])


def write(where, name, content, age=HOUR, encoding="utf-8"):
    """A real file ``name`` under ``where`` last modified ``age`` seconds ago; its path as a string."""
    target = os.path.join(str(where), name)
    with open(target, "wb") as handle:
        handle.write(content if isinstance(content, bytes) else content.encode(encoding))
    then = time.time() - age
    os.utime(target, (then, then))
    return target


def fx_csv(where, rows=None, header=FX_HEADER, name="rates.csv", age=HOUR):
    return write(where, name, header + "".join(row + "\n" for row in (FX_ROWS if rows is None else rows)), age)


def check(timeout=10.0, **item):
    return run_item(data_file, item, timeout)


def rejected(**item):
    """The OptionError message of an item prepare() refuses (as on the controller, before any file is read)."""
    with pytest.raises(OptionError) as raised:
        data_file.prepare(dict(item))
    return str(raised.value)


# --- CSV: header, rows, values ------------------------------------------------------------------

def test_good_rates_file_passes_and_reports_what_it_saw(tmp_path):
    path = fx_csv(tmp_path)
    record = check(path=path, max_age="2h", min_size="64", **FX_OPTIONS)
    assert record["id"] == f"data_file:{path}"
    assert record["title"] == f"Data file {path}"
    assert record["section"] == "data" and record["severity"] == "high"
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["path"] == path
    assert observed["size"]["value"] == os.path.getsize(path)
    assert HOUR - 5 < observed["age"]["value"] < HOUR + 60
    assert observed["rows"]["value"] == 5
    assert observed["header"] == ["currency", "rate", "published_at"]
    assert observed["columns"] == {"value": 3, "unit": "count"}
    none = {"rows": {"value": 0, "unit": "count"}, "lines": []}
    assert observed["numeric_bounds"] == {"rate": {"non_numeric": none, "out_of_bounds": none}}
    assert observed["key_value"] == [dict(key_column="currency", key="USD", column="rate", assertion="equals 1.0",
                                          rows=1, passed=True)]
    assert record["expected"]["age"] == {"fail": {"above": 7200}, "unit": "seconds"}
    assert record["expected"]["rows"] == {"fail": {"below": 5}, "unit": "count"}
    assert record["summary"].startswith("age 1h")
    assert "rows 5 (fail < 5)" in record["summary"]


def test_missing_required_column_fails(tmp_path):
    path = fx_csv(tmp_path, rows=["USD,2026-11-24"], header="currency,published_at\n")
    record = check(path=path, required_columns=["rate", "currency"])
    assert record["status"] == "fail"
    assert record["summary"] == "missing column rate"
    assert record["observed"]["header"] == ["currency", "published_at"]


def test_renamed_and_reordered_columns_fail_against_the_exact_header(tmp_path):
    renamed = fx_csv(tmp_path, header="currency,fx_rate,published_at\n", name="renamed.csv")
    record = check(path=renamed, **FX_OPTIONS)
    assert record["status"] == "fail"
    assert "header differs from columns: missing rate; unexpected fx_rate" in record["summary"]
    assert "column rate does not exist" in record["summary"]
    reordered = fx_csv(tmp_path, rows=["1.0,USD,2026-11-24"], header="rate,currency,published_at\n",
                       name="reordered.csv")
    record = check(path=reordered, columns=FX_OPTIONS["columns"])
    assert record["summary"] == "header has the expected columns in another order"
    assert check(path=reordered, required_columns=["currency", "rate"])["status"] == "pass"


def test_too_few_and_too_many_rows(tmp_path):
    path = fx_csv(tmp_path, rows=FX_ROWS[:3])
    assert check(path=path, rows_warn_below=4)["status"] == "warn"
    record = check(path=path, rows_warn_below=10, rows_fail_below=4)
    assert record["status"] == "fail"
    assert record["summary"] == "rows 3 (warn < 10, fail < 4)"
    record = check(path=path, max_rows=2)
    assert record["status"] == "fail"
    assert record["summary"] == "3 rows, more than max_rows 2"
    empty = write(tmp_path, "empty.csv", "")
    assert check(path=empty)["summary"] == "the file has no header (it is empty)"
    header_only = fx_csv(tmp_path, rows=[], name="header-only.csv")
    assert check(path=header_only, rows_fail_below=1)["summary"] == "rows 0 (fail < 1)"


def test_non_numeric_value_fails_by_line_without_showing_it(tmp_path):
    rows = list(FX_ROWS)
    rows[2] = "GBP,N/A-kept-private,2026-11-24"
    path = fx_csv(tmp_path, rows=[*rows, ",,"])  # an empty value is not checked
    record = check(path=path, numeric_bounds={"rate": {}})
    assert record["status"] == "fail"
    assert record["summary"].startswith("rate: 1 row not numeric (line 4)")
    non_numeric = record["observed"]["numeric_bounds"]["rate"]["non_numeric"]
    assert non_numeric == {"rows": {"value": 1, "unit": "count"}, "lines": [4]}
    assert "kept-private" not in json.dumps(record)


def test_out_of_bounds_values_are_counted_and_at_most_five_lines_listed(tmp_path):
    rows = [f"X{n:02d},{value},2026-11-24" for n, value in enumerate(
        ["1.0", "-3", "0.5", "250000", "-1e9", "7", "nan", "1e300", "-0.1", "99"])]
    path = fx_csv(tmp_path, rows=rows)
    record = check(path=path, numeric_bounds={"rate": {"min": 0, "max": 100000}})
    assert record["status"] == "fail"
    bounds = record["observed"]["numeric_bounds"]["rate"]
    assert bounds["out_of_bounds"] == {"rows": {"value": 5, "unit": "count"}, "lines": [3, 5, 6, 9, 10]}
    # nan is not a number a pipeline should emit
    assert bounds["non_numeric"] == {"rows": {"value": 1, "unit": "count"}, "lines": [8]}
    assert "rate: 5 rows out of bounds (min 0, max 100000; lines 3, 5, 6, 9, 10)" in record["summary"]
    for value in ("250000", "-1e9", "1e300"):
        assert value not in json.dumps(record)
    many = fx_csv(tmp_path, rows=[f"A,-{n},x" for n in range(1, 9)], name="many.csv")
    record = check(path=many, numeric_bounds={"rate": {"min": 0}})
    assert record["summary"] == "rate: 8 rows out of bounds (min 0; lines 2, 3, 4, 5, 6, \u2026)"


def test_usd_rate_of_two_fails_and_shows_only_the_compared_value(tmp_path):
    rows = list(FX_ROWS)
    rows[0] = "USD,2.0,2026-11-24"
    path = fx_csv(tmp_path, rows=rows)
    record = check(path=path, **FX_OPTIONS)
    assert record["status"] == "fail"
    assert record["summary"] == "rate of currency=USD is 2.0, expected 1.0 (line 2)"
    [result] = record["observed"]["key_value"]
    assert result["passed"] is False and result["actual"] == ["2.0"] and result["lines"] == [2]
    assert "0.92" not in json.dumps(record)


def test_key_value_compares_numbers_numerically_and_text_as_text(tmp_path):
    path = fx_csv(tmp_path, rows=["USD,1.000,2026-11-24", "EUR,0.92,2026-11-24"])
    record = check(path=path, key_value=[
        dict(key_column="currency", key="USD", column="rate", equals=1),
        dict(key_column="currency", key="USD", column="rate", equals="1.0"),
        dict(key_column="currency", key="EUR", column="rate", min=0.5, max=2),
        dict(key_column="currency", key="EUR", column="published_at", matches=r"^2026-11-\d\d$"),
        dict(key_column="currency", key="EUR", column="published_at", equals="2026-11-24"),
    ])
    assert record["status"] == "pass", record["summary"]
    record = check(path=path, key_value=[
        dict(key_column="currency", key="EUR", column="rate", min=1),
        dict(key_column="currency", key="EUR", column="published_at", max=3),
        dict(key_column="currency", key="CHF", column="rate", equals=1),
        dict(key_column="currency", key="usd", column="rate", equals=1),
    ])
    assert record["summary"] == ("rate of currency=EUR is 0.92, below min 1 (line 3); published_at of currency=EUR "
                                 "is 2026-11-24, not a number (max 3) (line 3); no row has currency=CHF; "
                                 "no row has currency=usd")


def test_latin1_file_read_as_utf8_is_an_error_naming_the_line(tmp_path):
    content = "city,population\nBerlin,3850809\nK\u00f8benhavn,660842\nZ\u00fcrich,443037\n"
    path = write(tmp_path, "cities.csv", content, encoding="latin-1")
    record = check(path=path, numeric_bounds={"population": {"min": 1}})
    assert record["status"] == "error"
    assert record["summary"] == "cannot decode line 3, byte 2 as utf-8 (is encoding right?)"
    record = check(path=path, encoding="latin-1", numeric_bounds={"population": {"min": 1}})
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["rows"]["value"] == 3


def test_utf8_byte_order_mark_and_utf16_files(tmp_path):
    bom = write(tmp_path, "excel.csv", b"\xef\xbb\xbf" + FX_HEADER.encode() + b"USD,1,x\n")
    assert check(path=bom, columns=FX_OPTIONS["columns"])["status"] == "pass"
    utf16 = write(tmp_path, "wide.csv", "currency\trate\nUSD\t1\nJPY\t151\n", encoding="utf-16")
    record = check(path=utf16, encoding="utf-16", delimiter="\t", required_columns=["rate"],
                   numeric_bounds={"rate": {"max": 200}})
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["rows"]["value"] == 2


def test_quoted_line_breaks_ragged_rows_and_broken_quoting(tmp_path):
    multi = write(tmp_path, "notes.csv", 'id,note,amount\n1,"two\nlines",5\n2,plain,-1\n3,short\n')
    record = check(path=multi, numeric_bounds={"amount": {"min": 0}})
    assert record["status"] == "fail"
    assert record["observed"]["rows"]["value"] == 3
    assert record["observed"]["numeric_bounds"]["amount"]["out_of_bounds"]["lines"] == [4]
    assert record["observed"]["ragged_rows"] == {"rows": {"value": 1, "unit": "count"}, "lines": [5]}
    assert "1 row with another number of fields than the header (line 5)" in record["summary"]
    broken = write(tmp_path, "broken.csv", 'id,note\n1,"fine"\n2,"bad"quote\n')
    record = check(path=broken)
    assert record["status"] == "fail"
    assert record["summary"].startswith("not valid CSV at line 3: ")


def test_file_without_header_takes_column_numbers(tmp_path):
    path = fx_csv(tmp_path, header="", rows=FX_ROWS)
    record = check(path=path, has_header=False, rows_fail_below=5, numeric_bounds={"2": {"min": 0}},
                   key_value=[dict(key_column="1", key="USD", column="2", equals=1)])
    assert record["status"] == "pass", record["summary"]
    assert "header" not in record["observed"]
    assert check(path=path, has_header=False, numeric_bounds={"4": {}})["summary"] == "column 4 does not exist"


# --- freshness, size, which file ----------------------------------------------------------------

def test_age_and_size_limits(tmp_path):
    path = fx_csv(tmp_path, age=30 * HOUR)
    assert check(path=path, age_warn_above="26h", age_fail_above="2d")["status"] == "warn"
    record = check(path=path, age_warn_above="12h", max_age="1d")
    assert record["status"] == "fail"
    assert record["summary"].startswith("age 1d 6h (warn > 12h, fail > 1d)")
    record = check(path=path, min_size="1KB")
    assert record["status"] == "fail"
    assert record["summary"] == f"size {os.path.getsize(path)} B (min 1.0 KiB)"


def test_glob_checks_the_newest_of_several(tmp_path):
    fx_csv(tmp_path, name="rates-2026-11-22.csv", age=50 * HOUR)
    newest = fx_csv(tmp_path, name="rates-2026-11-24.csv", age=2 * HOUR, rows=FX_ROWS[:2])
    fx_csv(tmp_path, name="rates-2026-11-23.csv", age=26 * HOUR)
    os.mkdir(str(tmp_path / "rates-tmp.csv"))  # a directory never counts as a match
    pattern = str(tmp_path / "rates-*.csv")
    record = check(path=pattern, max_age="3h", rows_fail_below=3)
    assert record["id"] == f"data_file:{pattern}"
    assert record["observed"]["matches"]["value"] == 3
    assert record["observed"]["path"] == newest
    assert record["status"] == "fail"
    assert record["summary"] == "rows 2 (fail < 3)"
    assert check(path=pattern, max_age="3h")["summary"].startswith("newest of 3 matches; age 2h")


def test_missing_file_and_empty_glob_fail(tmp_path):
    record = check(path=str(tmp_path / "rates.csv"))
    assert record["status"] == "fail"
    assert record["summary"] == f'{tmp_path / "rates.csv"} does not exist'
    record = check(path=str(tmp_path / "rates-*.csv"))
    assert record["status"] == "fail"
    assert record["summary"] == f"no file matches {tmp_path}/rates-*.csv"
    assert record["observed"]["matches"]["value"] == 0


def test_directory_where_a_file_is_expected_is_an_error(tmp_path):
    os.mkdir(str(tmp_path / "export.csv"))
    record = check(path=str(tmp_path / "export.csv"))
    assert record["status"] == "error"
    assert record["summary"] == f"{tmp_path}/export.csv is a directory, not a file"


def test_unreadable_file_and_directory_are_errors_for_nobody():
    with searchable_tmp_dir() as where:
        user = nobody()
        closed = fx_csv(where, name="closed.csv")
        os.chmod(closed, 0o000)
        outcome = run_check_as(user, "data_file", dict(path=closed))
        assert outcome["status"] == "error"
        assert outcome["summary"] == f"cannot open {closed}: Permission denied"
        private = os.path.join(where, "private")
        os.mkdir(private, 0o700)
        fx_csv(private, name="rates-1.csv")
        outcome = run_check_as(user, "data_file", dict(path=os.path.join(private, "rates-*.csv")))
        assert outcome["status"] == "error"
        assert outcome["summary"] == f"cannot list {private}: Permission denied"
        readable = fx_csv(where, name="open.csv")
        assert run_check_as(user, "data_file", dict(path=readable))["status"] == "pass"


def test_file_too_big_to_read_in_time_is_an_error_not_a_partial_pass(tmp_path):
    path = write(tmp_path, "huge.csv", FX_HEADER + "USD,1.0,2026-11-24\n" * 3000000)
    plan = data_file.prepare(dict(path=path, numeric_bounds={"rate": {"min": 0}}))
    with pytest.raises(CheckError) as raised:
        data_file.run(plan, CheckContext(0.3))
    assert str(raised.value).startswith("timed out after reading ")
    assert "of 54.4 MiB" in str(raised.value) and "the file was not fully checked" in str(raised.value)
    record = check(timeout=0.5, path=path, rows_fail_below=1)
    assert record["status"] == "error"
    assert "timed out" in record["summary"]


# --- JSON and JSON Lines ------------------------------------------------------------------------

CATALOGUE = {"currency": "EUR", "products": [{"sku": "A-1", "price": 10.5}, {"sku": "B-2", "price": 0},
                                             {"sku": "C-3", "price": 99}]}


def test_json_document_with_queries(tmp_path):
    path = write(tmp_path, "catalogue.json", json.dumps(CATALOGUE, indent=2))
    record = check(path=path, min_size="10", json_query=[dict(query="length(products)", min=3),
                                                         dict(query="currency", equals="EUR")])
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["type"] == "object"
    assert [a["passed"] for a in record["observed"]["assertions"]] == [True, True]
    record = check(path=path, json_query=[dict(query="products[?price <= `0`].sku", length=0)])
    assert record["status"] == "fail"
    assert record["summary"] == "products[?price <= `0`].sku has length 1, expected 0"
    assert record["observed"]["assertions"][0]["actual"] == '["B-2"]'
    assert "A-1" not in json.dumps(record)


def test_truncated_json_fails_with_line_and_column(tmp_path):
    text = json.dumps(CATALOGUE, indent=2)
    path = write(tmp_path, "catalogue.json", text[:text.index('"C-3"') + 3])
    record = check(path=path, json_query=[dict(query="currency", equals="EUR")])
    assert record["status"] == "fail"
    assert record["summary"] == "not valid JSON at line 13, column 14: Unterminated string starting at"
    assert "assertions" not in record["observed"]
    cut_clean = write(tmp_path, "cut.json", text[:text.index("\n    {", 100)])
    # Cut right after the second product's "},".
    assert check(path=cut_clean)["summary"] == "not valid JSON at line 11, column 7: Expecting value"


def test_json_lines_count_documents_and_name_a_bad_line(tmp_path):
    events = ['{"level": "info", "n": 1}', "", '{"level": "error", "n": 2}', '{"level": "info", "n": 3}']
    path = write(tmp_path, "events.jsonl", "\n".join(events) + "\n")
    record = check(path=path, rows_fail_below=3, json_query=[dict(query="[?level == 'error'] | length(@)", max=1),
                                                             dict(query="length(@)", equals=3)])
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["rows"]["value"] == 3
    assert check(path=path, max_rows=2)["summary"] == "3 rows, more than max_rows 2"
    broken = write(tmp_path, "broken.ndjson", '{"n": 1}\n{"n": 2\n{"n": 3}\n')
    record = check(path=broken)
    assert record["status"] == "fail"
    assert record["summary"] == "not valid JSON at line 2, column 8: Expecting ',' delimiter"
    latin = write(tmp_path, "latin.jsonl", '{"city": "Berlin"}\n{"city": "Z\u00fcrich"}\n', encoding="latin-1")
    record = check(path=latin)
    assert record["status"] == "error"
    assert record["summary"] == "cannot decode line 2, byte 12 as utf-8 (is encoding right?)"


def test_json_in_a_wrong_encoding_is_an_error_naming_the_line(tmp_path):
    path = write(tmp_path, "cities.json", '{\n  "a": "Berlin",\n  "b": "K\u00f8benhavn"\n}\n', encoding="latin-1")
    record = check(path=path)
    assert record["status"] == "error"
    assert record["summary"] == "cannot decode line 3, byte 10 as utf-8 (is encoding right?)"


def test_missing_jmespath_is_an_error_with_the_standard_text(tmp_path, monkeypatch):
    path = write(tmp_path, "catalogue.json", json.dumps(CATALOGUE))
    monkeypatch.setitem(sys.modules, "jmespath", None)  # what an import finds when it is not installed
    record = check(path=path, json_query=[dict(query="currency", equals="EUR")])
    assert record["status"] == "error"
    assert record["summary"].startswith("Failed to import the required Python library (jmespath)")
    assert check(path=path)["status"] == "pass"  # without json_query, jmespath is not needed


# --- bad options --------------------------------------------------------------------------------

@pytest.mark.parametrize("item, message", [
    (dict(path="exports/rates.csv"), "path: 'exports/rates.csv' must be absolute"),
    (dict(path="/srv/rates.csv", format="xml"), "format: 'xml' is not one of auto, csv, json, jsonl"),
    (dict(path="/srv/rates.txt"), "format: cannot tell the format of /srv/rates.txt from its extension"),
    (dict(path="/srv/rates-*"), "format: cannot tell the format of /srv/rates-* from its extension"),
    (dict(path="/srv/a.csv", numeric_bounds={"rate": {"min": 5, "max": 1}}),
     "numeric_bounds[rate]: min (5) is above max (1)"),
    (dict(path="/srv/a.csv", numeric_bounds={"rate": {"min": "low"}}),
     "numeric_bounds[rate].min: 'low' is not a number"),
    (dict(path="/srv/a.csv", numeric_bounds={"rate": {"minimum": 0}}), "numeric_bounds[rate]: unknown key(s) minimum"),
    (dict(path="/srv/a.csv", numeric_bounds={"rate": 5}), "numeric_bounds[rate]: must be a dictionary"),
    (dict(path="/srv/a.csv", numeric_bounds=["rate"]), "numeric_bounds: must map column names"),
    (dict(path="/srv/a.csv", key_value=[dict(key_column="currency", column="rate", equals=1)]),
     "key_value[0]: key is required"),
    (dict(path="/srv/a.csv", key_value=[dict(key_column="currency", key="USD", column="rate")]),
     "key_value[0]: give at least one of equals, matches, min, max"),
    (dict(path="/srv/a.csv", key_value=[dict(key_column="c", key="USD", column="rate", matches="(")]),
     "key_value[0].matches: '(' is not a valid regular expression"),
    (dict(path="/srv/a.csv", json_query=[dict(query="length(@)", min=1)]),
     "json_query: only for json and jsonl files, and this is a csv file"),
    (dict(path="/srv/a.json", columns=["a"], delimiter=";"), "delimiter, columns: only for CSV files"),
    (dict(path="/srv/a.json", rows_fail_below=1), "rows_fail_below: rows are counted in csv and jsonl files"),
    (dict(path="/srv/a.csv", max_age="1d", age_fail_above="2d"), "max_age: give max_age or age_fail_above"),
    (dict(path="/srv/a.csv", max_age="1d", age_warn_above="2d"),
     "age_warn_above/max_age: the warn level (2d) must be below the fail level (1d)"),
    (dict(path="/srv/a.csv", max_age="soon"), "max_age: 'soon' is not a number with an optional unit"),
    (dict(path="/srv/a.csv", min_size="big"), "min_size: 'big' is not a number"),
    (dict(path="/srv/a.csv", delimiter=";;"), "delimiter: ';;' must be one character"),
    (dict(path="/srv/a.csv", encoding="klingon-8"), "encoding: 'klingon-8' is not an encoding Python knows"),
    (dict(path="/srv/a.csv", encoding="base64"), "encoding: 'base64' is not a text encoding"),
    (dict(path="/srv/a.csv", columns=["a"], required_columns=["a"]), "columns/required_columns: give one of them"),
    (dict(path="/srv/a.csv", has_header=False, columns=["a"]), "columns: needs has_header"),
    (dict(path="/srv/a.csv", has_header=False, numeric_bounds={"rate": {}}),
     "numeric_bounds: 'rate' must be a column number (1 = first) when has_header is false"),
    (dict(path="/srv/a.csv", rows_fail_below=10, max_rows=5), "max_rows: 5 is below rows_fail_below (10)"),
    (dict(path="/srv/a.jsonl", json_query=[dict(query="length(", min=1)]), "json_query[0]: query 'length(' is not"),
])
def test_bad_options_are_refused_naming_the_option(item, message):
    assert message in rejected(**item)


def test_key_value_without_key_is_refused_by_the_argument_spec_too():
    with pytest.raises(AssertionError) as raised:
        validated_item(data_file, dict(path="/srv/a.csv", key_value=[dict(key_column="c", column="r", equals=1)]))
    assert "key" in str(raised.value)
