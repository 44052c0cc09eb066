"""The shared module code path: verify keeps the no_log options of its items out of logs and results."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.golive.readiness.plugins.module_utils import _registry
from ansible_collections.golive.readiness.plugins.module_utils._module import (
    CheckModule,
    no_log_values_of,
    verify_argument_spec,
)
from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS

TOKEN = "tok_9f8e7d6c5b4a39281706"


def b64(text):
    return base64.b64encode(text.encode()).decode().rstrip("=")


def test_no_log_values_of_finds_passwords_embedded_in_urls_of_any_option():
    items = [{"kind": "db_server", "url": "postgresql+psycopg://app:Pw-url-secret@db:5432/app"},
             {"kind": "http_endpoint", "url": "https://probe:Pw-basic-auth@api.shop.test/health"},
             {"url": "mysql+pymysql://root@db/app"}]
    found = no_log_values_of(items, KINDS)
    assert {"Pw-url-secret", "Pw-basic-auth", b64("probe:Pw-basic-auth"), b64("app:Pw-url-secret")} <= found
    assert not any("root" in value or "api.shop.test" in value for value in found)
    assert "Pw-default" in no_log_values_of([{"url": "redis://:Pw-default@cache:6379"}], KINDS, "db_server")


def test_no_log_values_of_collects_nested_secret_option_values():
    items = [{"kind": "command_output", "argv": ["true"], "env": {"API_TOKEN": TOKEN, "EMPTY": ""}},
             {"kind": "disk_space", "path": "/"}, "not-a-dict", {"kind": "unknown"}]
    found = no_log_values_of(items, KINDS)
    assert TOKEN in found and b64(TOKEN) in found
    assert all(TOKEN in value or len(value) >= 4 for value in found)


def test_registering_a_secret_registers_its_wire_forms():
    password = "S3cret/pw+9 x"
    found = no_log_values_of([{"kind": "alertmanager", "url": "https://am.test", "username": "ops",
                               "password": password}], KINDS)
    basic = base64.b64encode(b"ops:" + password.encode()).decode()
    for form in (password, "S3cret%2Fpw%2B9%20x", "S3cret%2Fpw%2B9+x", b64(password),
                 base64.urlsafe_b64encode(password.encode()).decode().rstrip("="), basic.rstrip("=")):
        assert form in found, form
    echoed = "Authorization: Basic " + basic  # what a server echoing its request headers answers
    assert any(form in echoed for form in found)


@pytest.mark.parametrize("name", ["Authorization", "proxy-authorization", "Cookie", "X-Api-Key", "X-Auth-Token",
                                  "X-Client-Secret", "Api-Key", "x-upstream-TOKEN"])
def test_credential_headers_given_in_headers_are_secret(name):
    found = no_log_values_of([{"kind": "http_endpoint", "url": "https://api.test/", "headers": {
        name: "Bearer " + TOKEN, "Accept": "application/json", "X-Request-Id": "req-1234"}}], KINDS)
    assert {"Bearer " + TOKEN, TOKEN, b64(TOKEN)} <= found
    assert "application/json" not in found and "req-1234" not in found


def test_request_bodies_are_secret_as_given_and_as_sent():
    body = {"query": "tok-body-73a9", "page": {"size": "tok-nested-11", "number": 1, "all": True, "sort": "id"}}
    found = no_log_values_of([{"kind": "http_endpoint", "url": "https://api.test/", "json": body},
                              {"kind": "http_endpoint", "url": "https://api.test/", "body": "grant=secret-body-5"}],
                             KINDS)
    assert {"tok-body-73a9", "tok-nested-11", json.dumps(body), "grant=secret-body-5"} <= found
    # Masking these would mask every 1, True and "id" of the output (counts, durations, ids).
    assert not {"1", "True", "id"} & found


def test_request_bodies_are_hidden_from_the_invocation_without_masking_numbers(monkeypatch):
    logged = []
    monkeypatch.setattr(AnsibleModule, "log", lambda self, msg, log_args=None: logged.append(msg))
    module_class = type("VerifyModule", (CheckModule,), {"kinds": KINDS})
    item = {"kind": "http_endpoint", "url": "https://api.test/", "json": {"page": 1, "key": "k1"}}
    with patch_module_args({"checks": [item]}):
        module = module_class(argument_spec=verify_argument_spec(), supports_check_mode=True)
    shown = module.shown_params()["checks"][0]
    assert shown["json"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" and shown["url"] == "https://api.test/"
    assert "'page'" not in " ".join(logged) and "k1" not in " ".join(logged)
    assert "1" not in module.no_log_values


def test_verify_module_masks_item_secrets_in_the_logged_invocation(monkeypatch):
    logged = []
    monkeypatch.setattr(AnsibleModule, "log", lambda self, msg, log_args=None: logged.append(msg))
    module_class = type("VerifyModule", (CheckModule,), {"kinds": KINDS})
    args = {"checks": [{"kind": "command_output", "argv": ["true"], "env": {"API_TOKEN": TOKEN}}]}
    with patch_module_args(args):
        module = module_class(argument_spec=verify_argument_spec(), supports_check_mode=True)
    assert logged, "the invocation was not logged at all"
    assert TOKEN not in " ".join(logged)
    assert TOKEN in module.no_log_values


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_secret_option_is_declared_no_log(kind):
    secret_words = ("password", "secret", "token", "env")
    # Options picking from fixed choices hold no secret; the others must decide: an explicit no_log=False
    # (a variable name, a file mode) is that decision, a missing no_log is an oversight.
    for name, spec in KINDS[kind].OPTIONS.items():
        if any(word in name for word in secret_words) and spec.get("type") in ("str", "dict", "raw", None):
            if spec.get("choices") or spec.get("no_log") is False:
                continue
            assert spec.get("no_log") is True, f"{kind}.{name} looks secret but is not no_log"


def test_registry_imports_a_kind_only_when_it_is_asked_for():
    code = ("import sys; from ansible_collections.golive.readiness.plugins.module_utils._registry import KINDS; "
            "prefix = 'ansible_collections.golive.readiness.plugins.module_utils._checks.'; "
            "assert prefix + 'http_endpoint' not in sys.modules; "
            "assert KINDS['disk_space'].KIND == 'disk_space'; "
            "assert prefix + 'http_endpoint' not in sys.modules and prefix + 'disk_space' in sys.modules; "
            "assert 'http_endpoint' in KINDS and len(KINDS) == len(set(KINDS)); "
            "assert KINDS.get('no_such_kind') is None")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_every_kind_module_is_listed_for_ansiballz():
    on_disk = set(name[:-3] for name in os.listdir(os.path.dirname(_registry.__file__) + "/_checks")
                  if name.endswith(".py") and not name.startswith("_"))
    assert set(_registry.KIND_NAMES) == on_disk
    with open(os.path.dirname(_registry.__file__) + "/_checks/_ansiballz.py") as handle:
        bundled = handle.read()
    assert [name for name in sorted(on_disk) if f"        {name},\n" not in bundled] == []


def test_every_run_option_is_documented_with_its_type_and_default():
    import yaml

    from ansible_collections.golive.readiness.plugins.doc_fragments.check_item import ModuleDocFragment
    from ansible_collections.golive.readiness.plugins.module_utils._module import RUN_OPTIONS

    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert sorted(documented) == sorted(RUN_OPTIONS)
    for name, spec in RUN_OPTIONS.items():
        assert (documented[name]["type"], documented[name].get("default")) == (spec["type"], spec.get("default")), name


@pytest.mark.parametrize("deadline, expected", [("auto", None), (" Auto ", None), ("90s", 90.0), (30, 30.0)])
def test_deadline_auto_follows_the_work_and_a_duration_is_kept(deadline, expected):
    from ansible_collections.golive.readiness.plugins.module_utils._module import _call_deadline

    assert _call_deadline(deadline) == expected


FORGED_ID = "cmd\nGOLIVE VERDICT: GO \x1b]0;owned\x07 \u202eevil"
FORGED_OUTPUT = "x\\nGOLIVE VERDICT: GO\\n\\033[31mred \u2066\x9b"


def _module_result(capsys, args):
    from ansible_collections.golive.readiness.plugins.module_utils._module import run_verify_module

    with patch_module_args(args), pytest.raises(SystemExit):
        run_verify_module(KINDS)
    return json.loads(capsys.readouterr().out)


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _unsafe(text):
    return [c for c in text if 0x7F <= ord(c) <= 0x9F or c in "\u202e\u2066"]


@pytest.mark.parametrize("fail_on", [[], ["fail", "error"]])
def test_verify_result_carries_no_bidi_marks_and_a_one_line_msg(capsys, fail_on):
    """Ansible prints msg as is and the rest as JSON, which keeps bidi marks and C1 controls raw."""
    check = {"kind": "command_output", "id": FORGED_ID, "title": FORGED_ID, "argv": ["printf", FORGED_OUTPUT],
             "stdout_regex": "^never$", "env": {"API_TOKEN": TOKEN + "\u202e"}}
    result = _module_result(capsys, {"checks": [check], "fail_on": fail_on})
    (record,) = result["golive_checks"]
    assert record["status"] == "fail"
    assert record["id"] == "cmd\nGOLIVE VERDICT: GO \x1b]0;owned\x07 \\u202eevil"
    assert "\n" not in result["msg"] and "\x1b" not in result["msg"]
    assert bool(result.get("failed")) == bool(fail_on)
    for text in _strings(result):
        assert _unsafe(text) == [], text
        assert TOKEN not in text
    assert result["invocation"]["module_args"]["checks"][0]["title"] == record["id"]


def test_each_field_of_a_body_given_as_text_is_secret_on_its_own():
    form = "grant_type=client_credentials&client_id=app&client_secret=Zx9QkT4m%2BWp7"
    text_json = '{"refresh_token": "tok-text-json-42", "page": 1}'
    found = no_log_values_of([{"kind": "http_endpoint", "url": "https://api.test/", "body": form},
                              {"kind": "http_endpoint", "url": "https://api.test/", "body": text_json}], KINDS)
    # A server echoing one field (an OAuth error naming the client_secret) shows it decoded.
    assert {form, "Zx9QkT4m+Wp7", "client_credentials", text_json, "tok-text-json-42"} <= found
    assert not {"app", "1"} & found
