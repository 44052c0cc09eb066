"""Run one check item the way every module does: validate, prepare, run under the real runner."""

from __future__ import annotations

import json

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.golive.readiness.plugins.module_utils._module import CheckBatch, item_spec
from ansible_collections.golive.readiness.plugins.module_utils._module import validated_item as checked_item
from ansible_collections.golive.readiness.plugins.module_utils._runner import run_checks


def validated_item(kind_module, item):
    """The item with its options validated and defaulted by the kind's argument spec."""
    result = ArgumentSpecValidator(item_spec(kind_module)).validate(item)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def run_item(kind_module, item, timeout):
    """The record of one item; every record must serialise to JSON."""
    batch = CheckBatch({"timeout": timeout})
    batch.add("checks[0]", validated_item(kind_module, item), kind_module)
    assert not batch.errors, batch.errors
    [record] = run_checks(batch.prepared)
    json.dumps(record)
    return record


def prepared(kind_module, item):
    """prepare() as every module calls it: on the item validated against its kind's spec, defaults applied.

    Problems the spec finds raise OptionError with the message a user would read."""
    return kind_module.prepare(checked_item(item, kind_module))


def described(kind_module, item):
    """describe() of the item as every module calls it (validated, defaults applied)."""
    return kind_module.describe(checked_item(item, kind_module))
