#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: data_file
short_description: Check the freshness, shape and values of a CSV, JSON or JSON Lines file
version_added: 0.1.0
description:
  - Checks a file a data pipeline produces (an export, a rates feed, a report) on the managed host - that it
    exists, is fresh and big enough, and, by format, that a CSV file has the expected header, enough rows and
    sane values, and that a JSON or JSON Lines file parses and passes JMESPath assertions.
  - I(path) may be a glob pattern; the newest matching regular file (by modification time) is checked and the
    number of matches is reported. Nothing matching, or a missing file, is C(fail).
  - CSV and JSON Lines files are streamed line by line; a JSON file is read whole. Reading is bounded by the
    check's I(timeout) - a file too big to read in time is C(error) with C(timed out), never a partial pass.
  - Status C(fail) - the file is missing, stale, too small, not valid CSV or JSON, or an expectation on its
    contents does not hold. Status C(error) - the file cannot be read (permissions, a directory), cannot be
    decoded with I(encoding) (the line is named), or C(jmespath) is missing for I(json_query).
  - Values read from the file never appear in the results, except the CSV header and the specific values a
    I(key_value) or I(json_query) assertion compares, shortened to 200 characters. Offending rows are reported
    by count and by the line numbers (at most 5) where they start in the file.
  - Runs on the managed host with the Python standard library; I(json_query) needs the C(jmespath) Python
    library there.
author: golive.readiness contributors (@golive-readiness)
extends_documentation_fragment:
  - golive.readiness.check_item
requirements:
  - jmespath (on the managed host, only for I(json_query))
options:
  checks:
    description:
      - The data files to check, one item each.
      - An item's C(id) defaults to C(data_file:<path>).
      - Its C(title) defaults to C(Data file <path>).
      - An item's C(timeout) is the time limit of this check, and of reading the file.
      # BEGIN generated: kind defaults (scripts/generate; do not edit by hand)
      - A C(data_file) item defaults to section V(data) and severity V(high).
      # END generated: kind defaults
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - Absolute path of the file, or a glob pattern (V(/srv/exports/orders-*.csv)) whose newest matching
            regular file is checked.
        type: path
        required: true
      format:
        description:
          - The file's format. V(auto) tells it from the extension - C(.csv), C(.json), C(.jsonl) or C(.ndjson).
          - V(jsonl) - one JSON document per line; blank lines are skipped.
        type: str
        default: auto
        choices: [auto, csv, json, jsonl]
      max_age:
        description:
          - Fail when the file was last modified longer ago than this duration (V(26h), V(2d)). Same as
            I(age_fail_above); give only one of them.
        type: str
      age_warn_above:
        description: Warn when the file was last modified longer ago than this duration.
        type: str
      age_fail_above:
        description: Fail when the file was last modified longer ago than this duration.
        type: str
      min_size:
        description: Fail when the file is smaller than this size (V(1KB), V(200)); binary multiples.
        type: str
      delimiter:
        description: The field delimiter of a CSV file, one character (V(;), or a tab written as V("\\t")).
        type: str
        default: ","
      encoding:
        description:
          - The text encoding of the file (V(utf-8), V(latin-1), V(cp1252), V(utf-16)). A leading byte order
            mark is ignored. Bytes that do not decode are C(error), naming the line.
        type: str
        default: utf-8
      has_header:
        description:
          - Whether the first row of a CSV file is a header. Without one, the options that name columns take
            column numbers (V("1") is the first column) and I(columns) and I(required_columns) do not apply.
        type: bool
        default: true
      columns:
        description:
          - The exact header of a CSV file, in order. A missing, extra, renamed or reordered column fails.
          - Give I(columns) or I(required_columns), not both.
        type: list
        elements: str
      required_columns:
        description: Columns the header of a CSV file must have, in any order; others may be present.
        type: list
        elements: str
      rows_warn_below:
        description:
          - Warn when a CSV file has fewer data rows (the header and blank lines do not count), or a JSON
            Lines file fewer documents, than this.
        type: int
      rows_fail_below:
        description: Fail when a CSV file has fewer data rows, or a JSON Lines file fewer documents, than this.
        type: int
      max_rows:
        description: Fail when a CSV file has more data rows, or a JSON Lines file more documents, than this.
        type: int
      numeric_bounds:
        description:
          - CSV columns whose non-empty values must all be numbers, mapped to their C(min) and/or C(max)
            bounds, such as C(amount) to C(min=0, max=100000); an empty mapping only requires numbers.
          - The count of offending rows and the line numbers of the first 5 are reported, never the values.
        type: dict
      key_value:
        description:
          - Assertions on the value of I(column) in the CSV row whose I(key_column) is exactly I(key), such as
            the C(rate) of C(currency=USD) equals C(1.0). Every such row must hold; none is C(fail).
        type: list
        elements: dict
        suboptions:
          key_column:
            description: The column that identifies the row.
            type: str
            required: true
          key:
            description: The value of I(key_column) in that row (compared as text).
            type: str
            required: true
          column:
            description: The column whose value is asserted.
            type: str
            required: true
          equals:
            description:
              - The value must equal this; compared as numbers when both are numbers (V(1) equals C(1.00)),
                otherwise as text.
            type: raw
          matches:
            description: Regular expression the value must match (searched).
            type: str
          min:
            description: The value must be a number not below this.
            type: float
          max:
            description: The value must be a number not above this.
            type: float
      json_query:
        description:
          - Assertions on a JSON document, or on the list of documents of a JSON Lines file. Each item is a
            JMESPath I(query) and one or more assertions on its result; all must hold.
        type: list
        elements: dict
        suboptions:
          query:
            description: A JMESPath expression, such as V(length(orders[?total < `0`])).
            type: str
            required: true
          # BEGIN generated: json_query assertions (scripts/generate; do not edit by hand)
          equals:
            description: The result must equal this value (a JSON boolean never equals a number).
            type: raw
          matches:
            description:
              - Regular expression the result must match (searched). A result that is not a string is
                matched in its JSON form.
            type: str
          min:
            description: The result must be a number not below this.
            type: float
          max:
            description: The result must be a number not above this.
            type: float
          length:
            description: The result must be a list, object or string of exactly this length.
            type: int
          truthy:
            description:
              - V(true) - the result must be truthy (not null, false, 0, empty); V(false) - it must be
                falsy.
            type: bool
          # END generated: json_query assertions
      # BEGIN generated: item options (scripts/generate; do not edit by hand)
      id:
        description:
          - Result id, unique within a host; waivers and reports refer to it.
          - Its default is given in the description of O(checks).
        type: str
      title:
        description: Human title; its default is given in the description of O(checks).
        type: str
      section:
        description:
          - Checklist section of this check; defaults to the module's O(section), else the kind's (see
            O(checks)).
        type: str
      severity:
        description: Severity of this check; defaults to the module's O(severity), else the kind's (see O(checks)).
        type: str
        choices: [critical, high, medium, low]
      timeout:
        description:
          - Time limit of this check, as a duration (V(10s), V(500ms), V(2m)) or seconds; defaults to the module's
            O(timeout).
          - What it bounds besides the check itself, if anything, is said in the description of O(checks).
        type: raw
      target:
        description: Inventory host this check is about, when it runs from another (probe) host.
        type: str
      hint:
        description:
          - What to do when this check does not pass (a runbook step, a command, a link), at most 1000 characters.
          - Carried in the result and shown beside the check in the HTML, Markdown and JUnit reports when it
            warns, fails or errs.
        type: str
      contact:
        description:
          - Who acts when this check does not pass (a team, a person, a channel), at most 200 characters.
          - Carried in the result and shown beside the check, with O(checks[].hint), when it warns, fails or errs.
        type: str
      # END generated: item options
seealso:
  - module: golive.readiness.path
  - module: golive.readiness.verify
"""

EXAMPLES = r"""
- name: The nightly exchange-rate feed is fresh, complete and anchored on USD
  golive.readiness.data_file:
    checks:
      - path: /srv/feeds/fx/rates-*.csv
        age_warn_above: 26h
        max_age: 2d
        min_size: 1KB
        columns: [currency, rate, published_at]
        rows_fail_below: 30
        numeric_bounds:
          rate: {min: 0.0001, max: 100000}
        key_value:
          - {key_column: currency, key: USD, column: rate, equals: 1.0}
          - {key_column: currency, key: EUR, column: rate, min: 0.5, max: 2}

- name: The semicolon-separated ERP export has its key columns
  golive.readiness.data_file:
    checks:
      - path: /data/erp/export.txt
        format: csv
        delimiter: ";"
        encoding: cp1252
        required_columns: [order_id, total]
        numeric_bounds:
          total: {min: 0}

- name: The product catalogue and the event log are valid
  golive.readiness.data_file:
    checks:
      - path: /srv/shop/catalogue.json
        json_query:
          - query: "length(products)"
            min: 100
          - query: "length(products[?price <= `0`])"
            equals: 0
      - path: /var/log/shop/events.jsonl
        rows_warn_below: 1
        json_query:
          - query: "[?level == 'error'] | length(@)"
            max: 10
"""

RETURN = r"""
golive_checks:
  description:
    - One record per file, in the order of O(checks).
    - C(observed) holds C(format), C(path) (the file checked - the newest match of a glob), C(matches) (for a
      glob, a count), C(size) (bytes), C(age) (seconds since its last modification), and by format
    - CSV - C(header) (the column names, each shortened to 200 characters), C(columns) (their count),
      C(rows) (a count), C(ragged_rows) when there are rows with another number of fields (as C(rows), a count,
      and C(lines)), C(numeric_bounds)
      (per column C(non_numeric) and C(out_of_bounds), each the count of C(rows) and the first 5 C(lines)) and
      C(key_value) (per assertion the matching C(rows), C(passed), and for failing rows C(lines) and C(actual)).
    - JSON - C(type) of the document; JSON Lines - C(rows), the number of documents; both - C(assertions), the
      result of each I(json_query) assertion (C(query), C(assertion), C(passed), C(actual) shortened).
    - C(expected) holds the levels of C(age), C(size) and C(rows) that are set, C(columns) or C(required_columns),
      C(numeric_bounds) (per column its bounds), C(key_value) and C(json_query) (per entry its assertion) as given.
  returned: always
  type: list
  elements: dict
  sample:
    - id: data_file:/srv/shop/import/prices.csv
      kind: data_file
      section: data
      title: Data file /srv/shop/import/prices.csv
      status: pass
      severity: high
      summary: age 2h 14m (fail > 1d); rows 12840 (fail < 1000)
      observed:
        format: csv
        path: /srv/shop/import/prices.csv
        size: {value: 801244, unit: bytes}
        age: {value: 8040.0, unit: seconds}
        header: [sku, price, currency]
        columns: {value: 3, unit: count}
        rows: {value: 12840, unit: count}
      expected:
        age: {fail: {above: 86400.0}, unit: seconds}
        columns: [sku, price, currency]
        rows: {fail: {below: 1000}, unit: count}
      duration_ms: 96
  contains:
    # BEGIN generated: record fields (scripts/generate; do not edit by hand)
    id:
      description: Stable identifier of the check, unique within a host; waivers refer to it.
      returned: always
      type: str
    kind:
      description: The check kind (the module's name).
      returned: always
      type: str
    section:
      description: Checklist section.
      returned: always
      type: str
    title:
      description: Human title.
      returned: always
      type: str
    status:
      description: V(pass), V(warn), V(fail), V(error) (could not be evaluated) or V(skipped).
      returned: always
      type: str
    severity:
      description: V(critical), V(high), V(medium) or V(low).
      returned: always
      type: str
    summary:
      description: One line saying what was observed against what was expected.
      returned: always
      type: str
    observed:
      description:
        - Measured values by name (what each kind measures is listed in the description of RV(golive_checks)).
        - A number with a unit is C({value, unit}) (units V(bytes), V(seconds), V(ms), V(percent), V(count), V(ratio),
          V(days)); texts, lists and flags are plain; secrets only masked.
      returned: always
      type: dict
    expected:
      description:
        - 'What each observed value was held against, under the same name: levels
          C({warn: {below|above: n}, fail: {...}, unit}), a quantity, or a plain value. Empty when nothing was graded.'
      returned: always
      type: dict
    duration_ms:
      description:
        - How long the check took, in milliseconds.
        - With O(wait), from its first round's start to its last round's end, pauses included.
      returned: always
      type: int
    rounds:
      description:
        - How many times the check ran while the call waited (O(wait)); V(1) when it passed, warned or was
          skipped at once, V(0) when the call's deadline came before it could start. Its other fields are
          its last round's.
      returned: when O(wait) is set above V(0s)
      type: int
    target:
      description: Inventory host the check is about, when it ran from another (probe) host.
      returned: when set in the item
      type: str
    hint:
      description: What to do when the check does not pass, as the item's C(hint) says.
      returned: when set in the item
      type: str
    contact:
      description: Who acts when the check does not pass, as the item's C(contact) says.
      returned: when set in the item
      type: str
    # END generated: record fields
# BEGIN generated: golive_counts (scripts/generate; do not edit by hand)
golive_counts:
  description: Number of results per status.
  returned: always
  type: dict
  sample: {pass: 3, warn: 1, fail: 0, error: 0, skipped: 0}
  contains:
    pass:
      description: Checks that passed.
      returned: always
      type: int
    warn:
      description: Checks that warned.
      returned: always
      type: int
    fail:
      description: Checks that failed.
      returned: always
      type: int
    error:
      description: Checks that could not be evaluated.
      returned: always
      type: int
    skipped:
      description: Checks that were skipped.
      returned: always
      type: int
# END generated: golive_counts
"""

from ansible_collections.golive.readiness.plugins.module_utils._checks import data_file
from ansible_collections.golive.readiness.plugins.module_utils._module import run_kind_module


def main():
    run_kind_module(data_file)


if __name__ == "__main__":
    main()
