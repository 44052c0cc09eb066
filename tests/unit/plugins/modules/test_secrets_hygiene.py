"""secrets_hygiene end to end: real module runs over real git checkouts; planted secrets appear nowhere."""

from __future__ import annotations

import os

from ansible_collections.golive.readiness.plugins.module_utils._checks import secrets_hygiene
from ansible_collections.golive.readiness.tests.unit.plugins.module_utils._checks._git_repos import (
    aws_access_key_id,
    github_token,
    init_repo,
    private_key_block,
    stripe_live_key,
    write,
)

from ._adhoc import ansible_run, ansible_run_logged, assert_documents_options


def test_planted_secrets_fail_the_task_and_appear_nowhere(tmp_path):
    stripe, aws, github = stripe_live_key(), aws_access_key_id(), github_token()
    block, body = private_key_block()
    repo = tmp_path / "shop"
    init_repo(repo, {
        "shop/payments.py": f"STRIPE_SECRET = '{stripe}'\n",
        "deploy/credentials": f"[default]\naws_access_key_id={aws}\n",
        ".env": f"GITHUB_TOKEN={github}\n",
        "deploy/id_rsa": block,  # tracked, and 0644 like .env and .env.production
        "requirements.txt": "django>=4\n",
    })
    write(repo, ".env.production", f"STRIPE_SECRET={stripe}\n", 0o644)
    done, result, everything = ansible_run_logged("secrets_hygiene", tmp_path, {"checks": [{"path": str(repo)}]})
    assert done.returncode == 2
    [record] = result["golive_checks"]
    assert record["status"] == "fail"
    assert record["severity"] == "critical" and record["section"] == "security"
    assert sorted((rule, found["value"]) for rule, found in record["observed"]["findings_by_rule"].items()) == [
        ("aws_access_key_id", 1), ("env_file_not_ignored", 1), ("env_file_tracked", 1), ("github_token", 1),
        ("private_key", 1), ("secret_file_mode", 3), ("stripe_live_key", 1), ("unpinned_requirement", 1)]
    assert f"shop/payments.py:1 stripe_live_key: sk_live_\u2026{stripe[-4:]}" in result["msg"]
    for secret in (stripe, aws, github, body):
        assert secret not in everything


def test_clean_checkout_passes_the_task(tmp_path):
    init_repo(tmp_path, {"app.py": "import os\nKEY = os.environ['KEY']\n", "requirements.txt": "flask==3.1.0\n"},
              gitignore=".env\n")
    write(tmp_path, ".env", f"KEY={stripe_live_key()}\n", 0o600)
    os.chmod(str(tmp_path), 0o755)
    done, result = ansible_run("secrets_hygiene", {"checks": [{"path": str(tmp_path), "id": "secrets:shop"}]})
    assert done.returncode == 0, done.stdout
    [record] = result["golive_checks"]
    assert record["id"] == "secrets:shop"
    assert record["status"] == "pass", record["summary"]


def test_bad_options_fail_the_task_naming_the_option():
    done, result = ansible_run("secrets_hygiene", {"checks": [
        {"path": "/srv/shop", "patterns": {"token": "(unclosed"}}, {"path": "/srv/shop", "secret_mode_max": 640}]})
    assert done.returncode == 2
    assert result["msg"].startswith("invalid check options: checks[0]: patterns: '(unclosed' is not a valid "
                                    "regular expression for 'token': ")
    assert "checks[1]: secret_mode_max: give the mode as a quoted octal string" in result["msg"]
    assert "Traceback" not in done.stdout + done.stderr


def test_module_documentation_renders_every_option():
    doc = assert_documents_options("secrets_hygiene", secrets_hygiene)
    assert doc["options"]["checks"]["suboptions"]["env_not_ignored"]["choices"] == ["warn", "fail"]
