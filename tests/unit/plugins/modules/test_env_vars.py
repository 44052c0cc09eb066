"""env_vars end to end: real `ansible localhost -m golive.readiness.env_vars` and verify runs, real env files."""

from __future__ import annotations

import sys

from ansible_collections.golive.readiness.plugins.module_utils._checks import env_vars

from ._adhoc import ansible_run, assert_documents_options

SECRET_KEY = "f3a9c1e07b5d4e28a6c9b0d17e2f4a85"
STRIPE_TEST_KEY = "sk_test_51Hs8QkLmNoPqRsTuVwXyZ9876"
DB_PASSWORD = "Vq7pT2xLm9Rk4sWzQ"


def write_env(tmp_path):
    path = tmp_path / ".env.production"
    path.write_text(f"APP_ENV=production\nSECRET_KEY='{SECRET_KEY}'\nSTRIPE_SECRET_KEY={STRIPE_TEST_KEY}\n"
                    f"DATABASE_URL=postgresql://shop:{DB_PASSWORD}@db/shop\n")
    return str(path)


def assert_no_secret(text):
    for secret in (SECRET_KEY, STRIPE_TEST_KEY, DB_PASSWORD):
        assert secret not in text


def test_module_reports_placeholders_and_missing_variables_without_leaking(tmp_path):
    path = write_env(tmp_path)
    done, result = ansible_run("env_vars", {"checks": [
        {"env_file": path, "required": ["APP_ENV", "SECRET_KEY", "STRIPE_SECRET_KEY", "SENTRY_DSN"],
         "expected_values": {"APP_ENV": "^production$"}},
    ]}, verbose=True)
    assert_no_secret(done.stdout + done.stderr)
    assert done.returncode == 2  # a failing check fails the task, like assert
    [record] = result["golive_checks"]
    assert record["id"] == f"env_vars:{path}"
    assert record["status"] == "fail"
    assert record["observed"]["missing"] == ["SENTRY_DSN"]
    assert record["observed"]["placeholders"] == [
        {"name": "STRIPE_SECRET_KEY", "value": "sk_test_\u20269876", "pattern": "(?<![a-z0-9])(sk|pk|rk)_test_"}]
    assert result["golive_counts"]["fail"] == 1


def test_module_reads_its_own_environment():
    done, result = ansible_run("env_vars", {"checks": [
        {"source": "module", "required": ["GOLIVE_E2E_SECRET_KEY"], "forbidden": ["GOLIVE_E2E_DEBUG"]},
    ]}, extra_env={"GOLIVE_E2E_SECRET_KEY": SECRET_KEY}, verbose=True)
    assert_no_secret(done.stdout + done.stderr)
    assert done.returncode == 0, done.stdout
    assert result["golive_checks"][0]["status"] == "pass"
    assert result["golive_checks"][0]["observed"]["present"] == ["GOLIVE_E2E_SECRET_KEY"]


def test_bad_options_fail_the_task_naming_the_item_and_option():
    done, result = ansible_run("env_vars", {"checks": [{"source": "process", "required": ["A"]}]})
    assert done.returncode == 2
    assert result["msg"].startswith("invalid check options: checks[0]")
    assert result["msg"].endswith("pid/process_name: source=process needs exactly one of them")


def test_verify_runs_env_vars_in_a_mixed_list(tmp_path):
    path = write_env(tmp_path)
    done, result = ansible_run("verify", {"fail_on": [], "checks": [
        {"kind": "env_vars", "env_file": path, "required": ["APP_ENV", "SECRET_KEY"],
         "allow_placeholders_for": ["STRIPE_SECRET_KEY"]},
        {"kind": "env_vars", "env_file": str(tmp_path / "missing.env"), "required": ["APP_ENV"]},
        {"kind": "disk_space", "path": "/"},
        {"kind": "python_runtime", "min_version": "3.8"},
        {"kind": "command_output", "argv": [sys.executable, "-c", "print('ok')"], "stdout_regex": "^ok$"},
    ]}, verbose=True)
    assert_no_secret(done.stdout + done.stderr)
    assert done.returncode == 0, done.stdout
    statuses = [(r["kind"], r["status"]) for r in result["golive_checks"]]
    assert statuses == [("env_vars", "pass"), ("env_vars", "error"), ("disk_space", "pass"),
                        ("python_runtime", "pass"), ("command_output", "pass")]
    assert result["golive_checks"][1]["summary"].startswith("cannot read %s" % (tmp_path / "missing.env"))


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("env_vars", env_vars)
    assert doc["options"]["checks"]["suboptions"]["source"]["choices"] == list(env_vars.SOURCES)


def test_module_compares_the_keys_with_the_template_without_showing_values(tmp_path):
    path = write_env(tmp_path)
    template = tmp_path / ".env.example"
    template.write_text("APP_ENV=\nSECRET_KEY=\nSTRIPE_SECRET_KEY=sk_test_...\nDATABASE_URL=\nSENTRY_DSN=\n")
    done, result = ansible_run("env_vars", {"checks": [
        {"env_file": path, "same_keys_as": str(template), "allow_placeholders_for": ["STRIPE_SECRET_KEY"]},
    ]}, verbose=True)
    assert_no_secret(done.stdout + done.stderr)
    assert done.returncode == 2
    [record] = result["golive_checks"]
    assert record["status"] == "fail"
    assert (record["observed"]["keys_missing"], record["observed"]["keys_extra"]) == (["SENTRY_DSN"], [])
    assert record["summary"] == f"variable SENTRY_DSN not in {path} (defined in {template})"
