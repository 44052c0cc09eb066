"""env_vars: real dotenv files, real child processes' environments, the module's own environment.

Every record produced here is searched for the secret values: none may ever appear.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError, OptionError, mask_secret
from ansible_collections.golive.readiness.plugins.module_utils._checks import env_vars

from ._kind_runner import run_item as run_kind_item
from ._kind_runner import validated_item

COLLECTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 5, ".collections")

DB_PASSWORD = "Vq7pT2xLm9Rk4sWzQ"
DATABASE_URL = f"postgresql://shop:{DB_PASSWORD}@db-primary.shop.internal:5432/shop"
SECRET_KEY = "f3a9c1e07b5d4e28a6c9b0d17e2f4a85"
STRIPE_KEY = "sk_live_51Hs8QkLmNoPqRsTuVwXyZ0123"
STRIPE_TEST_KEY = "sk_test_51Hs8QkLmNoPqRsTuVwXyZ9876"
SECRETS = (DB_PASSWORD, SECRET_KEY, STRIPE_KEY, STRIPE_TEST_KEY)

GOOD_ENV = textwrap.dedent("""\
    # Shop production settings
    APP_ENV=production

    export DATABASE_URL='%s'
    SECRET_KEY="%s"   # rotated 2026-11
    STRIPE_SECRET_KEY = %s
    ALLOWED_HOSTS=shop.io,www.shop.internal
    """) % (DATABASE_URL, SECRET_KEY, STRIPE_KEY)
REQUIRED = ["APP_ENV", "DATABASE_URL", "SECRET_KEY", "STRIPE_SECRET_KEY"]


def validated(item):
    return validated_item(env_vars, item)


def check(item, timeout=5.0):
    """Run one env_vars item through the real runner; the record must not contain any secret."""
    record = run_kind_item(env_vars, item, timeout)
    dumped = json.dumps(record)
    for secret in SECRETS:
        assert secret not in dumped, f"a secret leaked into {dumped}"
    return record


def env_file(tmp_path, text, name=".env.production"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def wait_until_exec_completed(pid, within=5.0):
    """Popen returns once exec closed the close-on-exec pipe, which the kernel does before it lays out
    the new argv and environment: until then /proc shows both empty. Wait for them to appear."""
    until = time.monotonic() + within
    while time.monotonic() < until:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline, open(f"/proc/{pid}/environ", "rb") as environ:
            if cmdline.read() and environ.read():
                return
        time.sleep(0.01)
    raise AssertionError(f"pid {pid} did not finish exec within {within}s")


@pytest.fixture
def children():
    """Start real child processes with crafted environments; kill them all afterwards."""
    started = []

    def start(environ, argv0=None):
        argv = [argv0 or sys.executable, "-c", "import time; time.sleep(60)"]
        proc = subprocess.Popen(argv, executable=sys.executable, env=environ)
        started.append(proc)
        wait_until_exec_completed(proc.pid)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def as_nobody(code):
    """Run ``code`` (with the collection importable) in the system Python as user nobody; its stdout."""
    python = "/usr/bin/python3"
    if os.geteuid() != 0 or not os.path.exists(python):
        pytest.skip(f"needs root (to drop to nobody) and {python}")
    prologue = f"import sys; sys.path.insert(0, {os.path.abspath(COLLECTIONS)!r})\n"
    done = subprocess.run([python, "-c", prologue + textwrap.dedent(code)], capture_output=True, text=True,
                          cwd="/", timeout=30, check=False, user=65534, group=65534, extra_groups=[])
    assert done.returncode == 0, done.stderr
    return done.stdout


# --- env files -----------------------------------------------------------------------------------

def test_complete_env_file_passes_and_names_only_what_it_found(tmp_path):
    path = env_file(tmp_path, GOOD_ENV)
    record = check(dict(env_file=path, required=REQUIRED, forbidden=["DEBUG"],
                        expected_values={"APP_ENV": "^production$", "STRIPE_SECRET_KEY": "^(sk|rk)_live_"}))
    assert record["status"] == "pass", record["summary"]
    assert record["id"] == f"env_vars:{path}"
    assert record["title"] == f"Environment of {path}"
    observed = record["observed"]
    assert observed["present"] == REQUIRED
    assert observed["missing"] == [] and observed["empty"] == [] and observed["forbidden_set"] == []
    assert observed["placeholders"] == [] and observed["mismatched"] == []
    assert observed["variables"] == {"value": 5, "unit": "count"} and observed["malformed_lines"] == []
    assert record["summary"] == "all 4 required variables set"
    assert record["expected"]["forbidden"] == ["DEBUG"]


def test_dotenv_syntax():
    text = textwrap.dedent("""\
        # comment
          PLAIN=value with spaces   # trailing comment
        export EXPORTED=yes
        SINGLE='it''s literal \\n $HOME'
        DOUBLE="tab\\there \\"quoted\\" # not a comment"
        HASH=a#b
        EMPTY=
        EQUALS=a=b=c
        SPACED = spaced
        PEM="-----BEGIN KEY-----
        MIIB
        -----END KEY-----"
        LAST=1
        LAST=2
        """)
    variables, malformed = env_vars.parse_dotenv(text)
    assert malformed == [4]  # 'it''s: the second quote ends the value, junk follows
    assert variables == {
        "PLAIN": "value with spaces",
        "EXPORTED": "yes",
        "DOUBLE": 'tab\there "quoted" # not a comment',
        "HASH": "a#b",
        "EMPTY": "",
        "EQUALS": "a=b=c",
        "SPACED": "spaced",
        "PEM": "-----BEGIN KEY-----\nMIIB\n-----END KEY-----",
        "LAST": "2",
    }
    assert env_vars.parse_dotenv("S='$HOME \\n'\n")[0] == {"S": "$HOME \\n"}


def test_malformed_lines_are_reported_by_number_never_content(tmp_path):
    path = env_file(tmp_path, f"APP_ENV=production\n{STRIPE_KEY}\nexport\nBROKEN=\"{SECRET_KEY}\n")
    record = check(dict(env_file=path, required=["APP_ENV"]))
    assert record["status"] == "warn"
    assert record["observed"]["malformed_lines"] == [2, 3, 4]
    assert record["summary"] == f"malformed lines 2, 3, 4 in {path} (not KEY=VALUE)"


def test_missing_and_empty_required_variables_fail(tmp_path):
    path = env_file(tmp_path, "APP_ENV=production\nSECRET_KEY=\nSENTRY_DSN=\"   \"\n")
    record = check(dict(env_file=path, required=["APP_ENV", "SECRET_KEY", "SENTRY_DSN", "DATABASE_URL"]))
    assert record["status"] == "fail"
    assert record["observed"]["present"] == ["APP_ENV"]
    assert record["observed"]["missing"] == ["DATABASE_URL"]
    assert record["observed"]["empty"] == ["SECRET_KEY", "SENTRY_DSN"]
    assert record["summary"] == "missing variable DATABASE_URL; empty variables SECRET_KEY, SENTRY_DSN"


def test_forbidden_variable_set_even_empty_fails(tmp_path):
    path = env_file(tmp_path, "APP_ENV=production\nDEBUG=\nFLASK_DEBUG=1\n")
    record = check(dict(env_file=path, required=["APP_ENV"], forbidden=["DEBUG", "FLASK_DEBUG", "TESTING"]))
    assert record["status"] == "fail"
    assert record["observed"]["forbidden_set"] == ["DEBUG", "FLASK_DEBUG"]
    assert record["summary"] == "forbidden variables DEBUG, FLASK_DEBUG set"


@pytest.mark.parametrize("value", [
    "changeme", "CHANGE_ME_PLEASE", "https://api.example.com/v1", "example", "<placeholder>", "TODO",
    "todo: fill in", "xxxxxxxx", "sk_live_XXXXXXXXXXXX", "your_api_key_here", "YOUR-SECRET-HERE",
    "dummy-token-123", STRIPE_TEST_KEY, "pk_test_abcdefghijklmnop", "None", "null", "undefined", "<your key>",
])
def test_default_placeholder_patterns_catch_template_leftovers(tmp_path, value):
    path = env_file(tmp_path, f"APP_ENV=production\nAPI_TOKEN='{value}'\n")
    record = check(dict(env_file=path, required=["APP_ENV"]))
    assert record["status"] == "fail", value
    [found] = record["observed"]["placeholders"]
    assert found["name"] == "API_TOKEN"
    assert found["value"] == mask_secret(value)
    assert found["pattern"] in env_vars.DEFAULT_PLACEHOLDER_PATTERNS
    assert record["summary"] == "placeholder value in variable API_TOKEN"
    if len(value) >= 12:
        assert value not in json.dumps(record)


@pytest.mark.parametrize("value", [
    DATABASE_URL, SECRET_KEY, STRIPE_KEY, "rk_live_51Demo4NotARealKey9f8e7d6c5b4a3", "https://api.shop.com/v1",
    "redis://cache.shop.internal:6379/0", "false", "0", "production", "https://4f1c2a9e7d6b@sentry.shop.io/7",
    "shop.internal,www.shop.internal", "Europe/Berlin", "https://localhost.shop.com",
    f"postgresql://shop:{DB_PASSWORD}@127.0.0.1:6432/shop", "http://localhost:9000/metrics",
])
def test_real_production_values_are_not_placeholders(tmp_path, value):
    path = env_file(tmp_path, f"VALUE='{value}'\n")
    record = check(dict(env_file=path, required=["VALUE"]))
    assert record["status"] == "pass", record["summary"]


@pytest.mark.parametrize("value", [
    "http://localhost:8000", "redis://127.0.0.1:6379/0", f"postgresql://shop:{DB_PASSWORD}@localhost/shop",
    "http://0.0.0.0:5000", "http://[::1]:8080/hook",
])
def test_local_urls_are_placeholders_only_when_asked(tmp_path, value):
    path = env_file(tmp_path, f"APP_ENV=production\nAPI_URL='{value}'\n")
    assert check(dict(env_file=path, required=["APP_ENV"]))["status"] == "pass"
    record = check(dict(env_file=path, required=["APP_ENV"], local_urls_are_placeholders=True))
    assert record["status"] == "fail", value
    assert record["observed"]["placeholders"][0]["pattern"] == env_vars.LOCAL_URL_PATTERN
    assert record["summary"] == "placeholder value in variable API_URL"
    custom = check(dict(env_file=path, placeholder_patterns=["^never$"], local_urls_are_placeholders=True))
    assert custom["status"] == "fail"


@pytest.mark.parametrize("line", ["KEY=   # set at cut-over", "KEY= # x", "KEY=\t# tab then comment", "export KEY= #"])
def test_a_value_that_is_only_an_inline_comment_is_empty(tmp_path, line):
    assert env_vars.parse_dotenv(line + "\n")[0] == {"KEY": ""}
    record = check(dict(env_file=env_file(tmp_path, line + "\n"), required=["KEY"]))
    assert record["status"] == "fail"
    assert record["observed"]["empty"] == ["KEY"]


def test_a_hash_without_whitespace_before_it_is_part_of_the_value():
    assert env_vars.parse_dotenv("A=#fff\nB=a#b\nC= a # b\n")[0] == {"A": "#fff", "B": "a#b", "C": "a"}


def test_placeholder_exemptions_and_custom_patterns(tmp_path):
    path = env_file(tmp_path, f"CALLBACK_URL=http://localhost:8080/hook\nREGION=todo\nTOKEN={STRIPE_TEST_KEY}\n")
    exempt = check(dict(env_file=path, allow_placeholders_for=["CALLBACK_URL", "REGION", "TOKEN"],
                        local_urls_are_placeholders=True))
    assert exempt["status"] == "pass"
    custom = check(dict(env_file=path, placeholder_patterns=["^todo$"]))
    assert custom["status"] == "fail"
    assert [p["name"] for p in custom["observed"]["placeholders"]] == ["REGION"]
    assert custom["observed"]["placeholders"][0]["pattern"] == "^todo$"
    disabled = check(dict(env_file=path, placeholder_patterns=[]))
    assert disabled["status"] == "pass"
    assert disabled["summary"] == "3 variables, no placeholder values"


def test_unexpected_values_fail_with_masked_values_only(tmp_path):
    path = env_file(tmp_path, f"APP_ENV=staging\nSTRIPE_SECRET_KEY={STRIPE_TEST_KEY}\n")
    record = check(dict(env_file=path, allow_placeholders_for=["STRIPE_SECRET_KEY"], expected_values={
        "APP_ENV": "^production$", "STRIPE_SECRET_KEY": "^sk_live_", "LOG_LEVEL": "^(info|warning)$"}))
    assert record["status"] == "fail"
    assert record["observed"]["mismatched"] == [
        dict(name="APP_ENV", value="****", expected="^production$"),
        dict(name="LOG_LEVEL", value=None, expected="^(info|warning)$"),
        dict(name="STRIPE_SECRET_KEY", value=mask_secret(STRIPE_TEST_KEY), expected="^sk_live_"),
    ]
    assert "LOG_LEVEL is not set (expected to match ^(info|warning)$)" in record["summary"]
    assert "APP_ENV has an unexpected value (expected to match ^production$)" in record["summary"]
    assert record["expected"]["expected_values"]["APP_ENV"] == "^production$"


def test_missing_env_file_is_an_error(tmp_path):
    record = check(dict(env_file=str(tmp_path / "absent.env"), required=["APP_ENV"]))
    assert record["status"] == "error"
    assert record["summary"] == f'cannot read {tmp_path / "absent.env"}: No such file or directory'


def test_env_file_that_is_a_directory_or_too_big_is_an_error(tmp_path):
    assert check(dict(env_file=str(tmp_path), required=["A"]))["status"] == "error"
    big = tmp_path / "big.env"
    with open(str(big), "w") as handle:
        handle.write(("FILLER=%s\n" % ("a" * 100)) * 11000)
    record = check(dict(env_file=str(big), required=["A"]))
    assert record["status"] == "error"
    assert "too big for an env file" in record["summary"]


def test_unreadable_env_file_is_an_error(tmp_path):
    tmp_path.chmod(0o755)
    path = env_file(tmp_path, GOOD_ENV)
    os.chmod(path, 0o600)
    out = as_nobody(f"""
        from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError
        from ansible_collections.golive.readiness.plugins.module_utils._checks import env_vars
        try:
            env_vars.read_env_file({path!r})
        except CheckError as exc:
            print(exc)
        """)
    assert out.strip() == f"cannot read {path}: Permission denied"


# --- running processes ---------------------------------------------------------------------------

def test_environment_of_a_process_by_pid(children):
    proc = children({"APP_ENV": "production", "DATABASE_URL": DATABASE_URL, "DEBUG": "1"})
    record = check(dict(source="process", pid=proc.pid, required=["APP_ENV", "DATABASE_URL", "SECRET_KEY"],
                        forbidden=["DEBUG"], expected_values={"APP_ENV": "^production$"}))
    assert record["id"] == f"env_vars:pid:{proc.pid}"
    assert record["title"] == f"Environment of pid:{proc.pid}"
    assert record["status"] == "fail", record  # records are checked free of secrets, safe to show
    assert record["observed"]["pid"] == proc.pid
    assert record["observed"]["present"] == ["APP_ENV", "DATABASE_URL"]
    assert record["observed"]["missing"] == ["SECRET_KEY"]
    assert record["observed"]["forbidden_set"] == ["DEBUG"]
    assert record["observed"]["variables"] == {"value": 3, "unit": "count"}


def test_environment_of_a_process_by_name_checks_the_oldest(children):
    name = f"golive-envtest-{uuid.uuid4().hex[:8]}"
    oldest = children({"APP_ENV": "production", "SECRET_KEY": SECRET_KEY}, argv0=name)
    time.sleep(0.1)  # start times have a resolution of one clock tick
    newer = children({"APP_ENV": "staging"}, argv0="/opt/shop/bin/" + name)
    item = dict(source="process", process_name=name, required=["APP_ENV", "SECRET_KEY"],
                expected_values={"APP_ENV": "^production$"})
    record = check(item)
    assert record["id"] == f"env_vars:{name}"
    assert record["status"] == "pass", record
    assert record["observed"]["pid"] == oldest.pid
    assert record["observed"]["matching_pids"] == sorted([oldest.pid, newer.pid])
    oldest.kill()
    oldest.wait()
    record = check(item)
    assert record["status"] == "fail", record
    assert record["observed"]["pid"] == newer.pid
    assert record["observed"]["missing"] == ["SECRET_KEY"]


def test_no_matching_process_is_an_error():
    name = f"golive-absent-{uuid.uuid4().hex[:8]}"
    record = check(dict(source="process", process_name=name, required=["APP_ENV"]))
    assert record["status"] == "error"
    assert record["summary"] == f"no process named {name}"


def test_exited_process_is_an_error(children):
    proc = children({"A": "1"})
    proc.kill()
    proc.wait()
    record = check(dict(source="process", pid=proc.pid, required=["A"]))
    assert record["status"] == "error"
    assert record["summary"] == f"no process with pid {proc.pid}"


def test_environment_of_another_users_process_is_an_error_without_privileges(children):
    proc = children({"SECRET_KEY": SECRET_KEY})
    out = as_nobody(f"""
        import json
        from ansible_collections.golive.readiness.plugins.module_utils._check import CheckError
        from ansible_collections.golive.readiness.plugins.module_utils._checks import env_vars
        try:
            env_vars.read_process_environ({proc.pid})
        except CheckError as exc:
            print(exc)
        """)
    assert out.strip() == (f"cannot read the environment of pid {proc.pid}: permission denied "
                           "(run as the process owner or with become)")
    assert SECRET_KEY not in out


# --- the module's own environment ----------------------------------------------------------------

def test_module_environment(monkeypatch):
    monkeypatch.setenv("GOLIVE_TEST_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("GOLIVE_TEST_APP_ENV", "production")
    monkeypatch.setenv("GOLIVE_TEST_TOKEN", STRIPE_TEST_KEY)
    monkeypatch.delenv("GOLIVE_TEST_MISSING", raising=False)
    record = check(dict(source="module", required=["GOLIVE_TEST_SECRET_KEY", "GOLIVE_TEST_APP_ENV"],
                        expected_values={"GOLIVE_TEST_APP_ENV": "^production$"}))
    assert record["id"] == "env_vars:module"
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["source"] == "module"
    assert check(dict(source="module", required=["GOLIVE_TEST_APP_ENV"]))["summary"] == "the required variable set"
    record = check(dict(source="module", required=["GOLIVE_TEST_TOKEN", "GOLIVE_TEST_MISSING"]))
    assert record["status"] == "fail"
    assert record["observed"]["missing"] == ["GOLIVE_TEST_MISSING"]
    assert record["observed"]["placeholders"] == [
        dict(name="GOLIVE_TEST_TOKEN", value=mask_secret(STRIPE_TEST_KEY), pattern=r"(?<![a-z0-9])(sk|pk|rk)_test_")]


# --- options -------------------------------------------------------------------------------------

@pytest.mark.parametrize("item, message", [
    (dict(required=["A"]), "env_file: required with source=env_file"),
    (dict(env_file="relative/.env", required=["A"]), "env_file: 'relative/.env' must be absolute"),
    (dict(env_file="/srv/.env", pid=1), "pid: only applies with source=process"),
    (dict(source="module", env_file="/srv/.env", required=["A"]), "env_file: only applies with source=env_file"),
    (dict(source="process", required=["A"]), "pid/process_name: source=process needs exactly one of them"),
    (dict(source="process", pid=1, process_name="x", required=["A"]),
     "pid/process_name: source=process needs exactly one of them"),
    (dict(source="process", pid=0, required=["A"]), "pid: 0 is not a process id"),
    (dict(source="process", process_name=" ", required=["A"]), "process_name: must not be empty"),
    (dict(source="module"), "required/forbidden/expected_values: give at least one, there is nothing to check"),
    (dict(source="module", required=["A=B"]), "required: 'A=B' is not a variable name"),
    (dict(source="module", forbidden=[""]), "forbidden: '' is not a variable name"),
    (dict(source="module", required=["DEBUG"], forbidden=["DEBUG"]), "required/forbidden: DEBUG cannot be both"),
    (dict(source="module", required=["A"], placeholder_patterns=["(unclosed"]),
     "placeholder_patterns: '(unclosed' is not a valid regular expression: missing ), unterminated subpattern"
     " at position 0"),
    (dict(source="module", expected_values={"APP_ENV": "[prod"}),
     "expected_values: APP_ENV: '[prod' is not a valid regular expression: unterminated character set at"
     " position 0"),
    (dict(source="module", expected_values={"WORKERS": 4}), "expected_values: the pattern of WORKERS must be a"
     " string, got 4"),
])
def test_bad_options_name_the_option(item, message):
    with pytest.raises(OptionError) as caught:
        env_vars.prepare(validated(item))
    assert str(caught.value) == message


def test_describe_names_the_source():
    assert env_vars.describe(validated(dict(env_file="/srv/shop/.env"))) == (
        "/srv/shop/.env", "Environment of /srv/shop/.env")
    assert env_vars.describe(validated(dict(source="process", pid=42))) == ("pid:42", "Environment of pid:42")
    assert env_vars.describe(validated(dict(source="process", process_name="gunicorn"))) == (
        "gunicorn", "Environment of gunicorn")
    assert env_vars.describe(validated(dict(source="module"))) == ("module", "Environment of module")


def test_check_error_is_raised_by_run_for_unreadable_sources(tmp_path):
    plan = env_vars.prepare(validated(dict(env_file=str(tmp_path / "nope"))))
    with pytest.raises(CheckError):
        env_vars.run(plan, None)


# --- same keys as the template ----------------------------------------------------------------------

TEMPLATE = textwrap.dedent("""\
    # Copy to .env.production and fill in
    APP_ENV=production
    DATABASE_URL=postgresql://shop:changeme@localhost/shop
    SECRET_KEY=
    STRIPE_SECRET_KEY=sk_test_%s
    ALLOWED_HOSTS=example.com
    """) % STRIPE_TEST_KEY[len("sk_test_"):]


def test_env_file_with_every_key_of_its_template_passes(tmp_path):
    template = env_file(tmp_path, TEMPLATE, name=".env.example")
    record = check(dict(env_file=env_file(tmp_path, GOOD_ENV), same_keys_as=template))
    assert record["status"] == "pass", record["summary"]
    assert (record["observed"]["keys_missing"], record["observed"]["keys_extra"]) == ([], [])
    assert record["expected"]["same_keys_as"] == template
    assert f"every key of {template} defined" in record["summary"]


def test_keys_missing_from_the_env_file_fail_and_extra_keys_warn(tmp_path):
    template = env_file(tmp_path, TEMPLATE + "SENTRY_DSN=\nexport REDIS_URL='redis://localhost'\n", name=".env.example")
    production = env_file(tmp_path, GOOD_ENV + f"LEGACY_TOKEN={SECRET_KEY}\n")
    record = check(dict(env_file=production, same_keys_as=template))
    assert record["status"] == "fail"
    assert record["observed"]["keys_missing"] == ["REDIS_URL", "SENTRY_DSN"]
    assert record["observed"]["keys_extra"] == ["LEGACY_TOKEN"]
    assert record["summary"] == (f"variables REDIS_URL, SENTRY_DSN not in {production} (defined in {template}); "
                                 f"variable LEGACY_TOKEN not in {template}")
    only_extra = env_file(tmp_path, TEMPLATE.replace("ALLOWED_HOSTS=example.com\n", ""), name="short.example")
    assert check(dict(env_file=production, same_keys_as=only_extra))["status"] == "warn"
    assert check(dict(env_file=production, same_keys_as=only_extra, extra_keys="fail"))["status"] == "fail"
    ignored = check(dict(env_file=production, same_keys_as=only_extra, extra_keys="ignore"))
    assert ignored["status"] == "pass" and ignored["observed"]["keys_extra"] == ["ALLOWED_HOSTS", "LEGACY_TOKEN"]


def test_template_values_are_never_checked_or_shown(tmp_path):
    # The template's placeholders (changeme, sk_test_, example.com) are what a template holds: not findings.
    template = env_file(tmp_path, TEMPLATE, name=".env.example")
    record = check(dict(env_file=env_file(tmp_path, GOOD_ENV), same_keys_as=template))
    dumped = json.dumps(record)
    for value in ("changeme", "example.com", STRIPE_TEST_KEY[-6:]):
        assert value not in dumped


def test_malformed_template_lines_warn_by_number(tmp_path):
    template = env_file(tmp_path, TEMPLATE + "this is not an assignment\n", name=".env.example")
    record = check(dict(env_file=env_file(tmp_path, GOOD_ENV), same_keys_as=template))
    assert record["status"] == "warn"
    assert record["summary"] == f"malformed line 7 in {template} (not KEY=VALUE)"


def test_missing_or_oversized_template_is_an_error(tmp_path):
    production = env_file(tmp_path, GOOD_ENV)
    record = check(dict(env_file=production, same_keys_as=str(tmp_path / "absent.example")))
    assert record["status"] == "error"
    assert record["summary"] == f"cannot read {tmp_path / 'absent.example'}: No such file or directory"
    huge = tmp_path / "huge.example"
    with open(huge, "wb") as handle:
        handle.truncate(env_vars.MAX_ENV_FILE_BYTES + 1)
    record = check(dict(env_file=production, same_keys_as=str(huge)))
    assert record["status"] == "error"
    assert record["summary"] == f"{huge} is {env_vars.MAX_ENV_FILE_BYTES + 1} bytes, too big for an env file"


@pytest.mark.parametrize("item, message", [
    (dict(source="module", required=["PATH"], same_keys_as="/srv/shop/.env.example"),
     "same_keys_as: only applies with source=env_file"),
    (dict(env_file="/srv/shop/.env", same_keys_as=".env.example"), "same_keys_as: '.env.example' must be absolute"),
])
def test_bad_template_options_name_the_option(item, message):
    with pytest.raises(OptionError) as caught:
        env_vars.prepare(validated(item))
    assert str(caught.value) == message
