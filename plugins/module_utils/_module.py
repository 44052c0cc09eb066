# -*- coding: utf-8 -*-
# Copyright (c) golive.readiness contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code path shared by every check module and ``verify``: options, validation, run, result (private)."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import NoReturn
from urllib.parse import parse_qsl, unquote

from ansible.module_utils.basic import AnsibleModule, remove_values
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator, ValidationResult

from ansible_collections.golive.readiness.plugins.module_utils._check import (
    SEVERITIES,
    STATUSES,
    OptionError,
    basic_auth_forms,
    checked_number,
    is_credential_header,
    named_range,
    number_range,
    parse_duration,
    secret_forms,
    shown_option_value,
    url_credentials,
)
from ansible_collections.golive.readiness.plugins.module_utils._processes import watch_controller
from ansible_collections.golive.readiness.plugins.module_utils._runner import PreparedCheck, Waiting, run_checks
from ansible_collections.golive.readiness.plugins.module_utils._terminal import one_line, printable_data

# Options every check item accepts, whatever its kind (documented in each module's checks suboptions).
COMMON_ITEM_OPTIONS = dict(
    id=dict(type="str"),
    title=dict(type="str"),
    section=dict(type="str"),
    severity=dict(type="str", choices=list(SEVERITIES)),
    timeout=dict(type="raw"),
    target=dict(type="str"),
    hint=dict(type="str"),
    contact=dict(type="str"),
)
# The most characters of the texts a report shows beside a check that did not pass (what to do, who does it).
# The one who acts is the 'contact': 'owner' is a kind's option already (path: the file's owner).
ITEM_TEXT_CAPS = dict(hint=1000, contact=200)

# Request bodies are masked whole and by their texts of at least this length (see _request_body_secrets).
MIN_BODY_SECRET_CHARS = 4
# What the invocation shows of a request body: Ansible's own placeholder for a no_log value.
HIDDEN_VALUE = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

# Module-level options shared by every check module (doc fragment golive.readiness.run_options).
RUN_OPTIONS = dict(
    severity=dict(type="str", choices=list(SEVERITIES)),
    section=dict(type="str"),
    timeout=dict(type="raw", default="10s"),
    deadline=dict(type="raw", default="45s"),
    max_workers=dict(type="int", default=8),
    network_workers=dict(type="int", default=64),
    wait=dict(type="raw", default="0s"),
    wait_interval=dict(type="raw", default="2s"),
    wait_max_interval=dict(type="raw", default="30s"),
    fail_on=dict(type="list", elements="str", default=["fail", "error"], choices=list(STATUSES)),
)


def item_spec(kind_module: ModuleType) -> dict:
    """The argument spec of one item of a kind: common options plus the kind's own."""
    spec = copy.deepcopy(COMMON_ITEM_OPTIONS)
    spec.update(copy.deepcopy(kind_module.OPTIONS))
    return spec


def _item_options(kind_module: ModuleType) -> dict:
    """item_spec to read, not to hand to a validator (which may change it): no copies per item."""
    return {**COMMON_ITEM_OPTIONS, **kind_module.OPTIONS}


def kind_argument_spec(kind_module: ModuleType) -> dict:
    spec = copy.deepcopy(RUN_OPTIONS)
    spec["checks"] = dict(type="list", elements="dict", required=True, options=item_spec(kind_module))
    return spec


def item_text_problems(item: Mapping, as_given: bool = False) -> list[str]:
    """The problems of an item's report texts (ITEM_TEXT_CAPS): each must be a string within its cap.

    ``as_given``: the item before Ansible's validator, which would turn a list or a number into its text."""
    problems = []
    for name, cap in ITEM_TEXT_CAPS.items():
        value = item.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            if as_given:
                problems.append(f"{name}: must be a string, got {type(value).__name__}")
        elif len(value) > cap:
            problems.append(f"{name}: {len(value)} characters, at most {cap}")
    return problems


def _positive_seconds(value: object, option: str) -> float:
    seconds = parse_duration(value, option)
    if seconds <= 0:
        raise OptionError(f"{option}: must be greater than zero, got {value!r}")
    return seconds


# The deadline value that derives the call's deadline from its checks (see _runner.work_deadline).
AUTO_DEADLINE = "auto"


def _call_deadline(value: object) -> float | None:
    """Seconds of the call deadline, or None for a deadline that follows the work."""
    if isinstance(value, str) and value.strip().lower() == AUTO_DEADLINE:
        return None
    return _positive_seconds(value, "deadline")


# Spec types whose values are numbers; their ranges are looked up in _check's tables by option name.
_NUMBER_TYPES = ("int", "float")


def option_problems(params: Mapping, spec: Mapping, prefix: str = "", unvalidated: bool = False) -> list[str]:
    """Every number that is not finite or outside its range and every string holding a NUL byte in
    validated ``params`` of ``spec``, suboptions and list elements included, each naming its option.

    This is the one guard of every option of every kind: a kind declares a number ``type: int`` or
    ``float`` (or reads it with a parser of _check, which holds it to the same tables) and is covered.
    ``unvalidated``: only what Ansible's validator cannot take (infinity), before it runs.
    """
    problems = []
    for name, option in spec.items():
        value = params.get(name) if isinstance(params, Mapping) else None
        if value is not None:
            problems.extend(_value_problems(value, f"{prefix}{name}", option, unvalidated))
    return problems


def _value_problems(value: object, where: str, option: Mapping, unvalidated: bool) -> list[str]:
    if option.get("type") == "list" and isinstance(value, list):
        element = dict(option, type=option.get("elements") or "raw")
        return [problem for index, entry in enumerate(value)
                for problem in _value_problems(entry, f"{where}[{index}]", element, unvalidated)]
    if option.get("options") and isinstance(value, Mapping):
        return option_problems(value, option["options"], f"{where}.", unvalidated)
    check = _non_finite_problem if unvalidated else _leaf_problem
    hidden = bool(option.get("no_log"))
    return [problem for leaf_where, leaf in _leaves(value, where)
            for problem in [check(leaf, leaf_where, option.get("type"), hidden)] if problem]


def _leaves(value: object, where: str) -> Iterator[tuple[str, object]]:
    """(where, scalar) for a value and everything inside it, dictionary keys included."""
    if isinstance(value, Mapping):
        for key, entry in value.items():
            yield from _leaves(key, f"{where} key")
            yield from _leaves(entry, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, entry in enumerate(value):
            yield from _leaves(entry, f"{where}[{index}]")
    else:
        yield where, value


def _leaf_problem(value: object, where: str, spec_type: str | None, hidden: bool) -> str | None:
    shown = "the value" if hidden else shown_option_value(value)
    if isinstance(value, str) and "\0" in value:  # the text is not shown: it may be a secret of a verify item
        return f"{where}: contains a NUL byte"
    if isinstance(value, str) and spec_type in _NUMBER_TYPES:
        return _infinite_text_problem(value, where, spec_type, shown)
    if isinstance(value, str):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if spec_type in _NUMBER_TYPES:
        try:
            checked_number(value, where, spec_type, "the value" if hidden else None)
        except OptionError as exc:
            return str(exc)
    elif isinstance(value, float) and not math.isfinite(value):  # a raw value's kind reads it further
        allowed = named_range(where)
        return f"{where}: {shown} is not a finite number" + (f" (allowed: {allowed.shown})" if allowed else "")
    return None


def _non_finite_problem(value: object, where: str, spec_type: str | None, hidden: bool) -> str | None:
    """_leaf_problem's NaN and infinity only."""
    if isinstance(value, str) and "\0" not in value and spec_type in _NUMBER_TYPES:
        return _infinite_text_problem(value, where, spec_type, "the value" if hidden else shown_option_value(value))
    if isinstance(value, float) and not math.isfinite(value):
        return _leaf_problem(value, where, spec_type, hidden)
    return None


def _infinite_text_problem(text: str, where: str, spec_type: str, shown: str) -> str | None:
    """Text such as 'inf' for a number option, which Ansible's int conversion meets with OverflowError
    (a traceback) instead of an error; other text is left to its type check."""
    try:
        number = float(text)
    except ValueError:
        return None
    if math.isfinite(number):
        return None
    return f"{where}: {shown} is not a finite number (allowed: {number_range(where, spec_type).shown})"


# The run options that are durations: each parsed under its own name, which gives its range (_check.RANGES_BY_OPTION).
_DURATION_RUN_OPTIONS = ("timeout", "deadline", "wait", "wait_interval", "wait_max_interval")


def _run_duration(name: str, value: object) -> float | None:
    """Seconds of a duration run option (None for an ``auto`` deadline)."""
    if name == "deadline":
        return _call_deadline(value)
    if name == "timeout":
        return _positive_seconds(value, name)
    return parse_duration(value, name)


def run_option_problems(params: Mapping) -> list[str]:
    """The problems of a call's own options (timeout, deadline, max_workers ...), each named once."""
    others = dict((name, option) for name, option in RUN_OPTIONS.items() if name not in _DURATION_RUN_OPTIONS)
    problems = option_problems(params, others)
    for name in _DURATION_RUN_OPTIONS:
        if params.get(name) is not None:
            try:
                _run_duration(name, params[name])
            except OptionError as exc:
                problems.append(str(exc))
    if not problems:
        problem = wait_interval_problem(params.get("wait_interval"), params.get("wait_max_interval"))
        problems += [problem] if problem else []
    return problems


def wait_interval_problem(interval: object, max_interval: object,
                          names: tuple[str, str] = ("wait_interval", "wait_max_interval")) -> str | None:
    """The pause between rounds grows from the first to the longest: a longest shorter than the first is a mistake.
    ``names`` are how the message calls the two (their playbook variables, on the controller)."""
    if interval is None or max_interval is None:
        return None
    first, longest = parse_duration(interval, names[0]), parse_duration(max_interval, names[1])
    if longest >= first:
        return None
    return (f"{names[1]}: {shown_option_value(max_interval)} is shorter than {names[0]} "
            f"{shown_option_value(interval)} (the pause starts at {names[0]} and doubles up to {names[1]})")


def waiting_of(params: Mapping) -> Waiting:
    """How a call with valid run options waits for its checks that do not pass yet."""
    return Waiting(parse_duration(params.get("wait") or 0, "wait"),
                   parse_duration(params.get("wait_interval") or "2s", "wait_interval"),
                   parse_duration(params.get("wait_max_interval") or "30s", "wait_max_interval"))


def run_options_as_given(options: Mapping) -> list[str]:
    """run_option_problems of options not yet converted by a module (templated strings included)."""
    spec = dict((name, RUN_OPTIONS[name]) for name in options if name in RUN_OPTIONS)
    given = dict((name, value) for name, value in options.items() if value is not None)
    result = ArgumentSpecValidator(spec).validate(given)
    if result.error_messages:
        return _option_problems(result, given, spec)
    return run_option_problems(result.validated_parameters)


# The key checks_of gives each item: where it was written ('golive_disk_space[1]'), so that every message
# about the item, on the controller or on the host, names the inventory variable and the item's index.
ORIGIN_KEY = "_origin"


class CheckBatch(object):
    """Turns validated items into prepared checks, collecting every problem before failing."""

    def __init__(self, params: Mapping) -> None:
        self.params = params
        self.errors: list[str] = run_option_problems(params)
        self.prepared: list[PreparedCheck] = []
        self._ids: dict[tuple, str] = {}
        try:
            self.default_timeout = _positive_seconds(
                params["timeout"] if params.get("timeout") is not None else "10s", "timeout")
        except OptionError:  # already among the errors, which stop the batch before anything runs
            self.default_timeout = None

    def add(self, where: str, item: Mapping, kind_module: ModuleType) -> None:
        """Prepare one validated item; ``where`` names it in error messages (``checks[3] (disk_space)``)."""
        try:
            check = self._prepare(item, kind_module)
        except OptionError as exc:
            self._error(f"{where}: {exc}")
            return
        # The same check may run for several targets from one probe host; ids are unique per target.
        key = (check.item.get("target"), check.check_id)
        if key in self._ids:
            self._error(f"{where}: id {check.check_id!r} is already used by {self._ids[key]}; "
                        f"give one of them an explicit id")
            return
        self._ids[key] = where
        self.prepared.append(check)

    def add_mixed(self, where: str, item: object, kinds: Mapping) -> None:
        """Validate an item that names its own ``kind`` against that kind's options, then add it."""
        where = origin_of(item, where)
        try:
            kind_module = kind_of(item, kinds)
        except OptionError as exc:
            self._error(f"{where}: {exc}")
            return
        where = f"{where} ({kind_module.KIND})"
        try:
            params = validated_item(item, kind_module)
        except OptionError as exc:
            self._error(f"{where}: {exc}")
            return
        self.add(where, params, kind_module)

    def _error(self, message: str) -> None:
        # Messages quote the inventory's values and end up in a task's msg, which Ansible prints as is.
        self.errors.append(one_line(message))

    def _prepare(self, item: Mapping, kind_module: ModuleType) -> PreparedCheck:
        problems = option_problems(item, _item_options(kind_module)) + item_text_problems(item)
        if problems:
            raise OptionError("; ".join(problems))
        item = dict(item)
        item["severity"] = item.get("severity") or self.params.get("severity") or kind_module.SEVERITY
        item["section"] = item.get("section") or self.params.get("section") or kind_module.SECTION
        timeout = (_positive_seconds(item["timeout"], "timeout") if item.get("timeout") is not None
                   else self.default_timeout or 10.0)
        key, title = kind_module.describe(item)
        check_id = item.get("id") or f"{kind_module.KIND}:{key}"
        plan = kind_module.prepare(item)
        return PreparedCheck(item, check_id, item.get("title") or title, kind_module, plan, timeout)


def origin_of(item: object, where: str) -> str:
    """Where an item was written (its ORIGIN_KEY, set by checks_of; with the host it is about, if another),
    else ``where`` ('checks[3]')."""
    origin = item.get(ORIGIN_KEY) if isinstance(item, Mapping) else None
    if not isinstance(origin, str) or not origin:
        return where
    target = item.get("target")
    return f"{origin} of {target}" if isinstance(target, str) and target else origin


def kind_of(item: object, kinds: Mapping[str, ModuleType]) -> ModuleType:
    """The kind module an item names with its ``kind``."""
    if not isinstance(item, Mapping):
        raise OptionError(f"must be a dictionary of check options, got {type(item).__name__}")
    kind = item.get("kind")
    if kind not in kinds:
        raise OptionError(f"kind {kind!r} is not one of {', '.join(sorted(kinds))}")
    return kinds[kind]


def validated_item(item: Mapping, kind_module: ModuleType) -> dict:
    """The item's options (without ``kind`` and its origin) validated against its kind's spec, defaults applied."""
    params = {name: value for name, value in item.items() if name not in ("kind", ORIGIN_KEY)}
    spec = item_spec(kind_module)
    # The validator cannot take infinity, and it would turn a hint given as a list into the list's text.
    problems = option_problems(params, spec, unvalidated=True) + item_text_problems(params, as_given=True)
    if problems:
        raise OptionError("; ".join(problems))
    result = ArgumentSpecValidator(spec).validate(params)
    if result.error_messages:
        raise OptionError("; ".join(_option_problems(result, params, spec)))
    return result.validated_parameters


def _option_problems(result: ValidationResult, params: Mapping, spec: Mapping) -> list[str]:
    """The validator's messages, with unknown options said plainly ('unsupported option x')."""
    unknown = sorted(set(params) - set(spec))
    problems = []
    if unknown:
        problems.append(f"unsupported option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                        f"(supported: {', '.join(sorted(spec))})")
    problems.extend(error.msg if hasattr(error, "msg") else str(error) for error in result.errors
                    if not type(error).__name__.startswith("Unsupported"))
    return problems


def counts_by_status(records: list[dict]) -> dict[str, int]:
    counts = dict((status, 0) for status in STATUSES)
    for record in records:
        counts[record["status"]] += 1
    return counts


def describe_counts(counts: Mapping[str, int]) -> str:
    total = sum(counts.values())
    shown = ", ".join(f"{number} {status}" for status, number in counts.items() if number)
    return f"{total} check{'' if total == 1 else 's'}: {shown or 'none'}"


def run_batch(module: AnsibleModule, batch: CheckBatch) -> None:
    """Run the prepared checks and exit the module with the records."""
    if batch.errors:
        module.fail_json(msg="invalid check options: " + "; ".join(batch.errors), errors=batch.errors)
    deadline = _call_deadline(module.params["deadline"])  # valid: its problems are batch errors
    network_workers = module.params["network_workers"]
    # An interrupted run kills its controller's ssh, not this process: the watch ends what the checks started.
    with watch_controller():
        records = run_checks(batch.prepared, module.params["max_workers"], deadline, network_workers,
                             waiting_of(module.params))
    counts = counts_by_status(records)
    result = dict(changed=False, golive_checks=records, golive_counts=counts, msg=describe_counts(counts))
    failing = [r for r in records if r["status"] in module.params["fail_on"]]
    if failing:
        failures = "; ".join(f"{r['id']} {r['status']}: {r['summary']}" for r in failing)
        result["msg"] = one_line(f"{result['msg']}; {failures}")
        module.fail_json(**result)
    module.exit_json(**result)


def run_kind_module(kind_module: ModuleType) -> None:
    """main() of a single-kind module."""
    attributes = {"kinds": {kind_module.KIND: kind_module}, "default_kind": kind_module.KIND}
    module_class = type("CheckModule", (CheckModule,), attributes)
    module = module_class(argument_spec=kind_argument_spec(kind_module), supports_check_mode=True)
    batch = CheckBatch(module.params)
    for index, item in enumerate(module.params["checks"]):
        batch.add(f"checks[{index}]", item, kind_module)
    run_batch(module, batch)


def verify_argument_spec() -> dict:
    spec = copy.deepcopy(RUN_OPTIONS)
    spec["checks"] = dict(type="list", elements="dict", required=True)
    return spec


def _secret_leaves(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _secret_leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _secret_leaves(item)
    elif value is not None and value != "":
        yield str(value)


def _credential_header_values(item: dict) -> list[str]:
    """Values of credential headers (Authorization, Cookie, *token*...) in an item's ``headers``."""
    headers = item.get("headers")
    if not isinstance(headers, dict):
        return []
    return [str(value) for name, value in headers.items() if value not in (None, "") and is_credential_header(name)]


def _string_leaves(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _string_leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _string_leaves(item)
    elif isinstance(value, str):
        yield value


def request_body_options(kind_module: ModuleType | None) -> tuple[str, ...]:
    """The options of a kind that hold a request body (``REQUEST_BODY_OPTIONS`` of its module)."""
    return tuple(getattr(kind_module, "REQUEST_BODY_OPTIONS", ()))


def _texts_of_body_string(body: str) -> list[str]:
    """The field values of a body given as text: form-encoded pairs, or the strings of a JSON document.

    A server may echo one field alone (``client_secret`` of an OAuth token request), not the body whole.
    """
    texts = [value for _name, value in parse_qsl(body, keep_blank_values=False)]
    try:
        texts.extend(_string_leaves(json.loads(body)))
    except ValueError:
        pass
    return texts


def _request_body_secrets(item: dict, kind_module: ModuleType | None) -> set[str]:
    """A request body as sent, and each text in it long enough to be a secret.

    Not every value: masking a body's ``1`` or ``true`` would mask every such number and word of the
    output (Ansible's no_log does that to the values it is given), so bodies are not declared no_log.
    """
    secrets = set()
    for name in request_body_options(kind_module):
        value = item.get(name)
        if value is None or value == "":
            continue
        secrets.add(value if isinstance(value, str) else json.dumps(value))
        texts = _texts_of_body_string(value) if isinstance(value, str) else _string_leaves(value)
        secrets.update(texts)
    return {secret for secret in secrets if len(secret) >= MIN_BODY_SECRET_CHARS}


def _plain_secrets_of(item: dict, kind_module: ModuleType | None) -> set[str]:
    """The secrets an item states: no_log option values, request bodies, credential headers, passwords in URLs."""
    secrets = set()
    for name, spec in (kind_module.OPTIONS.items() if kind_module else ()):
        if spec.get("no_log"):
            secrets.update(_secret_leaves(item.get(name)))
    secrets.update(_request_body_secrets(item, kind_module))
    secrets.update(_credential_header_values(item))
    for value in _secret_leaves(item):
        for username, password in url_credentials(value):
            secrets.update((password, unquote(password)))
            secrets.update(basic_auth_forms(unquote(username), unquote(password)))
    if item.get("username") and item.get("password"):
        secrets.update(basic_auth_forms(str(item["username"]), str(item["password"])))
    return secrets


def no_log_values_of(items: list | None, kinds: Mapping[str, ModuleType], default_kind: str | None = None) -> set[str]:
    """The secrets in check items, each with the forms it takes on the wire (see ``secret_forms``).

    A secret is every value of a ``no_log`` option of the item's kind (an env dict, a password), a request
    body and its texts, every credential header given in ``headers``, every password embedded in a URL or
    DSN anywhere in the item, and the basic-auth header made of a username and its password.
    """
    secrets = set()
    for item in items or []:
        if not isinstance(item, dict):
            continue
        kind_module = kinds.get(item.get("kind") or default_kind)
        for secret in _plain_secrets_of(item, kind_module):
            secrets.update(secret_forms(secret))
    return secrets


class CheckModule(AnsibleModule):
    """AnsibleModule that also treats the secrets inside check items as no_log values.

    AnsibleModule learns no_log values from its argument spec, which cannot describe verify's mixed
    items, nor a password embedded in a database URL whose rest is meant to be shown (masked).
    Without this they would reach the host's syslog and the returned invocation.
    """

    kinds: dict[str, ModuleType] = {}
    default_kind: str | None = None

    def _set_internal_properties(self) -> None:
        # Runs in AnsibleModule.__init__ just before its argument validation, which cannot take infinity.
        super(CheckModule, self)._set_internal_properties()
        problems = option_problems(self.params, self.argument_spec, unvalidated=True)
        if problems:
            # fail_json returns the arguments too: the items' secrets must be known as no_log first.
            self.no_log_values.update(no_log_values_of(self.params.get("checks"), self.kinds, self.default_kind))
            self.fail_json(msg="invalid options: " + "; ".join(problems), errors=problems)

    def _log_invocation(self) -> None:
        # Runs at the end of AnsibleModule.__init__, before anything is logged or returned.
        self.no_log_values.update(no_log_values_of(self.params.get("checks"), self.kinds, self.default_kind))
        params = self.params
        self.params = self.shown_params()
        try:
            super(CheckModule, self)._log_invocation()
        finally:
            self.params = params

    def shown_params(self) -> dict:
        """The module's parameters with every request body of its items replaced, as logged and returned."""
        shown = dict(self.params)
        items = shown.get("checks")
        if isinstance(items, list):
            shown["checks"] = [self._shown_item(item) for item in items]
        return shown

    def _shown_item(self, item: object) -> object:
        if not isinstance(item, dict):
            return item
        kind_module = self.kinds.get(item.get("kind") or self.default_kind)
        hidden = [name for name in request_body_options(kind_module) if item.get(name) is not None]
        return dict(item, **dict.fromkeys(hidden, HIDDEN_VALUE)) if hidden else item

    def _return_formatted(self, kwargs: dict) -> None:
        kwargs.setdefault("invocation", {"module_args": self.shown_params()})
        super(CheckModule, self)._return_formatted(kwargs)

    def exit_json(self, **kwargs: object) -> NoReturn:
        super(CheckModule, self).exit_json(**self._printable(kwargs))

    def fail_json(self, msg: str, **kwargs: object) -> NoReturn:
        kwargs["msg"] = msg
        super(CheckModule, self).fail_json(**self._printable(kwargs))

    def _printable(self, result: dict) -> dict:
        """The result as Ansible may print it: msg one line, every other string free of bidi marks and C1 controls.

        Secrets are masked first (escaping would hide them from the masking); the invocation is added here,
        masked and escaped, because Ansible prints it at -vvv and would otherwise add the raw parameters.
        """
        result = dict(result)
        result.setdefault("invocation", {"module_args": self.shown_params()})
        kept = dict((key, value) for key, value in result.items() if value is None or isinstance(value, bool))
        result = printable_data(remove_values(result, self.no_log_values))
        result.update(kept)
        if "msg" in result:
            result["msg"] = one_line(result["msg"])
        return result


def run_verify_module(kinds: Mapping) -> None:
    """main() of ``verify``: a mixed list of checks of any kinds, in one call."""
    module_class = type("VerifyModule", (CheckModule,), {"kinds": kinds})
    module = module_class(argument_spec=verify_argument_spec(), supports_check_mode=True)
    batch = CheckBatch(module.params)
    for index, item in enumerate(module.params["checks"]):
        batch.add_mixed(f"checks[{index}]", item, kinds)
    run_batch(module, batch)
