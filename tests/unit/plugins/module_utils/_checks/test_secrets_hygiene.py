"""secrets_hygiene: real git repositories and directories with planted secrets, loose modes and loose pins.

Every planted secret is minted at run time and searched for in every record: a finding shows file, line and
rule, and at most a masked hint.
"""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.golive.readiness.plugins.module_utils._check import OptionError
from ansible_collections.golive.readiness.plugins.module_utils._checks import secrets_hygiene

from ._git_repos import (
    aws_access_key_id,
    git,
    github_token,
    google_api_key,
    init_repo,
    private_key_block,
    slack_token,
    stripe_live_key,
    write,
)
from ._kind_runner import run_item, validated_item
from ._realfs import nobody, run_check_as, searchable_tmp_dir

PINNED = ("# production pins\n"
          "Django==4.2.17  # LTS\n"
          "-r requirements-base.txt\n"
          "--index-url https://pypi.org/simple\n"
          "psycopg[binary]===3.2.3\n"
          "requests==2.32.3 \\\n"
          "    --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6\n"
          "tomli==2.0.1; python_version < '3.11'\n"
          "\n")
CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUUdT6nL\n-----END CERTIFICATE-----\n"


def check(item, timeout=10.0):
    return run_item(secrets_hygiene, item, timeout)


def clean_repo(root):
    """A deployed checkout as it should be: env files ignored and private, pins exact, certificates public."""
    init_repo(root, {
        "app/settings.py": "import os\nSTRIPE_KEY = os.environ['STRIPE_KEY']\n",
        "requirements.txt": PINNED,
        "requirements-base.txt": "gunicorn==23.0.0\n",
        ".env.example": "STRIPE_KEY=sk_test_placeholder\n",
        "certs/fullchain.pem": CERTIFICATE,
    }, gitignore=".env\n.env.*\n!.env.example\n/var/\n")
    write(root, ".env", f"STRIPE_KEY={stripe_live_key()}\n", 0o600)
    write(root, "var/cache/.env.local", "DEBUG=0\n", 0o600)
    os.chmod(os.path.join(str(root), ".env.example"), 0o644)
    os.chmod(os.path.join(str(root), "certs", "fullchain.pem"), 0o644)
    return root


def rules_at(record):
    return [(f["rule"], f["file"], f.get("line")) for f in record["observed"]["findings"]]


def assert_hidden(record, *planted):
    text = json.dumps(record, ensure_ascii=False)
    for secret in planted:
        assert secret not in text


# --- a clean checkout and a clean directory ---------------------------------------------------------------

def test_clean_checkout_passes(tmp_path):
    clean_repo(tmp_path)
    record = check(dict(path=str(tmp_path)))
    assert record["id"] == f"secrets_hygiene:{tmp_path}"
    assert record["title"] == f"Secrets hygiene of {tmp_path}"
    assert record["section"] == "security" and record["severity"] == "critical"
    assert record["status"] == "pass", record["summary"]
    observed = record["observed"]
    assert observed["git_checkout"] == str(tmp_path)
    assert observed["tracked_files"] == {"value": 6, "unit": "count"}
    assert observed["files_searched"] == {"value": 6, "unit": "count"}
    assert observed["env_files"] == [".env", "var/cache/.env.local"]
    assert observed["requirements_files"] == ["requirements-base.txt", "requirements.txt"]
    assert observed["findings"] == [] and observed["findings_total"] == {"value": 0, "unit": "count"}
    assert record["summary"] == ("6 tracked file(s) searched for secrets; 2 env file(s), 2 requirements file(s), "
                                 "8 file(s) on disk checked")
    assert record["expected"]["rules"] == ["private_key", "stripe_live_key", "aws_access_key_id", "github_token",
                                           "slack_token", "google_api_key"]
    assert record["expected"]["secret_mode_max"] == "0600"


def test_plain_directory_is_scanned_whole_and_says_git_rules_did_not_apply(tmp_path):
    write(tmp_path, "app.py", "print('hello')\n")
    write(tmp_path, ".env", "A=1\n", 0o600)
    record = check(dict(path=str(tmp_path)))
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["git_checkout"] is None
    assert record["observed"]["tracked_files"] is None
    assert record["summary"].startswith("not a git checkout: the tracked and ignored rules did not apply; "
                                        "all 2 file(s) searched")
    assert "env_files" not in record["expected"]


def test_a_subdirectory_of_a_checkout_is_checked_against_its_repository(tmp_path):
    key = stripe_live_key()
    init_repo(tmp_path, {"shop/app.py": f"KEY = '{key}'\n", "docs/readme.md": f"KEY = '{key}'\n"},
              gitignore="")
    write(tmp_path, "shop/.env", "A=1\n", 0o600)
    record = check(dict(path=str(tmp_path / "shop")))
    assert record["observed"]["git_checkout"] == str(tmp_path)
    assert rules_at(record) == [("stripe_live_key", "app.py", 1), ("env_file_not_ignored", ".env", None)]
    assert_hidden(record, key)


# --- secrets in tracked files ------------------------------------------------------------------------

def test_planted_secrets_in_tracked_files_fail_with_file_line_and_masked_hint(tmp_path):
    stripe, aws, github, slack, google = (stripe_live_key(), aws_access_key_id(), github_token(), slack_token(),
                                          google_api_key())
    block, body = private_key_block()
    init_repo(tmp_path, {
        "config/payments.py": f"# payments\nSTRIPE_SECRET = '{stripe}'\n",
        "deploy/aws.ini": f"[default]\naws_access_key_id = {aws}\n",
        "scripts/release.sh": f"#!/bin/sh\nGITHUB_TOKEN={github}\nSLACK={slack}\n",
        "web/static/maps.js": f"const key = \"{google}\";\n",
        "deploy/id_deploy": block,
        "docs/example.md": f"A live key looks like {stripe_live_key()}  # pragma: allowlist secret\n",
    })
    write(tmp_path, "untracked.py", f"KEY = '{stripe_live_key()}'\n")  # not tracked: not searched
    record = check(dict(path=str(tmp_path)))
    assert record["status"] == "fail"
    assert rules_at(record) == [
        ("private_key", "deploy/id_deploy", 1),
        ("stripe_live_key", "config/payments.py", 2),
        ("aws_access_key_id", "deploy/aws.ini", 2),
        ("github_token", "scripts/release.sh", 2),
        ("slack_token", "scripts/release.sh", 3),
        ("google_api_key", "web/static/maps.js", 1),
    ]
    details = dict((f["rule"], f["detail"]) for f in record["observed"]["findings"])
    assert details["stripe_live_key"] == "sk_live_\u2026" + stripe[-4:]
    assert details["aws_access_key_id"] == "\u2026" + aws[-4:]
    assert details["github_token"] == "ghp_\u2026" + github[-4:]
    assert details["private_key"] == "rsa private key block"
    assert record["summary"].startswith("deploy/id_deploy:1 private_key: rsa private key block; "
                                        f"config/payments.py:2 stripe_live_key: sk_live_\u2026{stripe[-4:]}; ")
    assert record["observed"]["findings_by_rule"]["slack_token"] == {"value": 1, "unit": "count"}
    assert_hidden(record, stripe, aws, github, slack, google, body)


def test_custom_patterns_and_builtin_toggle(tmp_path):
    token = "itk_" + "0123456789abcdef" * 2
    stripe = stripe_live_key()
    init_repo(tmp_path, {"app.py": f"INTERNAL = '{token}'\nSTRIPE = '{stripe}'\n"})
    record = check(dict(path=str(tmp_path), patterns={"internal_token": r"itk_[0-9a-f]{32}"}))
    assert rules_at(record) == [("stripe_live_key", "app.py", 2), ("internal_token", "app.py", 1)]
    only_custom = check(dict(path=str(tmp_path), builtin_patterns=False,
                             patterns={"internal_token": "itk_[0-9a-f]{32}"}))
    assert rules_at(only_custom) == [("internal_token", "app.py", 1)]
    assert only_custom["expected"]["rules"] == ["internal_token"]
    assert_hidden(record, token, stripe)
    assert_hidden(only_custom, token)


def test_binary_and_oversized_files_are_skipped_and_said(tmp_path):
    stripe = stripe_live_key()
    init_repo(tmp_path, {"app.py": "x = 1\n"})
    write(tmp_path, "dump.sql", "-- dump\n" + "INSERT INTO t VALUES (1);\n" * 200 + f"-- {stripe}\n")
    with open(os.path.join(str(tmp_path), "logo.png"), "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n\x00\x00" + stripe.encode())
    git(tmp_path, "add", "dump.sql", "logo.png")
    git(tmp_path, "commit", "-q", "-m", "assets")
    record = check(dict(path=str(tmp_path), max_file_size="4KB"))
    assert record["status"] == "pass", record["summary"]
    one, none = {"value": 1, "unit": "count"}, {"value": 0, "unit": "count"}
    assert record["observed"]["skipped"] == dict(binary=one, too_large=["dump.sql"], too_large_count=one, unreadable=[],
                                                 unreadable_count=none)
    assert "1 binary file(s) not searched; 1 file(s) over 4.0 KiB not searched: dump.sql" in record["summary"]
    assert check(dict(path=str(tmp_path)))["observed"]["findings"][0]["file"] == "dump.sql"


def test_excluded_paths_are_not_checked(tmp_path):
    stripe = stripe_live_key()
    init_repo(tmp_path, {"vendor/lib/fixtures.py": f"KEY = '{stripe}'\n", "tests/keys.txt": stripe + "\n",
                         "app.py": "x = 1\n"})
    write(tmp_path, "vendor/cache/blob", "x", 0o666)
    assert check(dict(path=str(tmp_path)))["observed"]["findings_total"] == {"value": 3, "unit": "count"}
    record = check(dict(path=str(tmp_path), exclude=["vendor", "tests/*.txt"]))
    assert record["status"] == "pass", record["summary"]
    assert record["observed"]["files_searched"] == {"value": 1, "unit": "count"}  # app.py


def test_findings_beyond_max_findings_are_counted(tmp_path):
    init_repo(tmp_path, {f"keys/k{n:02d}.txt": aws_access_key_id() + "\n" for n in range(15)})
    record = check(dict(path=str(tmp_path), max_findings=3))
    assert record["status"] == "fail"
    assert len(record["observed"]["findings"]) == 3
    assert record["observed"]["findings_total"] == {"value": 15, "unit": "count"}
    assert record["summary"].endswith("; and 12 more finding(s)")


# --- env files and git ----------------------------------------------------------------------------

def test_tracked_env_file_fails(tmp_path):
    stripe = stripe_live_key()
    init_repo(tmp_path, {".env.production": f"STRIPE_KEY={stripe}\n"}, gitignore=".env\n")
    os.chmod(os.path.join(str(tmp_path), ".env.production"), 0o600)
    record = check(dict(path=str(tmp_path)))
    assert record["status"] == "fail"
    assert rules_at(record) == [("env_file_tracked", ".env.production", None),
                                ("stripe_live_key", ".env.production", 1)]
    assert record["observed"]["findings"][0]["detail"] == "tracked by git; remove it from the repository"
    assert_hidden(record, stripe)


def test_untracked_env_file_that_git_does_not_ignore_warns_or_fails(tmp_path):
    init_repo(tmp_path, {"app.py": "x = 1\n"}, gitignore="*.log\n")
    write(tmp_path, "config/app.env", "SECRET_KEY=abc\n", 0o600)
    record = check(dict(path=str(tmp_path)))
    assert record["status"] == "warn"
    assert record["summary"] == "config/app.env env_file_not_ignored: not ignored by git; add it to .gitignore"
    assert check(dict(path=str(tmp_path), env_not_ignored="fail"))["status"] == "fail"
    assert record["expected"]["env_files"] == "not tracked, ignored by git (else warn)"


# --- modes ------------------------------------------------------------------------------------------

def test_readable_secret_files_fail_and_certificates_do_not(tmp_path):
    block, body = private_key_block()
    init_repo(tmp_path, {"app.py": "x = 1\n"}, gitignore="secrets/\n.env\n")
    write(tmp_path, ".env", "A=1\n", 0o640)
    write(tmp_path, "secrets/server.key", "not pem but a key file\n", 0o644)
    write(tmp_path, "secrets/privkey.pem", block, 0o604)
    write(tmp_path, "secrets/fullchain.pem", CERTIFICATE, 0o644)
    write(tmp_path, "secrets/id_ed25519", "key\n", 0o600)
    record = check(dict(path=str(tmp_path)))
    assert record["status"] == "fail"
    details = [(f["file"], f["detail"]) for f in record["observed"]["findings"]]
    assert details == [
        (".env", "mode 0640 gives group access (max 0600)"),
        ("secrets/privkey.pem", "mode 0604 gives others access (max 0600)"),
        ("secrets/server.key", "mode 0644 gives group and others access (max 0600)"),
    ]
    relaxed = check(dict(path=str(tmp_path), secret_mode_max="0640"))
    assert [(f["file"], f["detail"]) for f in relaxed["observed"]["findings"]] == [
        ("secrets/privkey.pem", "mode 0604 gives others access (max 0640)"),
        ("secrets/server.key", "mode 0644 gives others access (max 0640)")]
    assert_hidden(record, body)


def test_world_writable_files_and_directories_fail(tmp_path):
    init_repo(tmp_path, {"app.py": "x = 1\n", "public/index.html": "<p>hi</p>\n"})
    os.chmod(os.path.join(str(tmp_path), "app.py"), 0o666)
    os.makedirs(str(tmp_path / "uploads"))
    os.chmod(str(tmp_path / "uploads"), 0o1777)
    os.symlink("/tmp", str(tmp_path / "tmp-link"))  # a symlink's own mode is always 0777: not a finding
    record = check(dict(path=str(tmp_path)))
    assert record["status"] == "fail"
    assert [(f["rule"], f["file"], f["detail"]) for f in record["observed"]["findings"]] == [
        ("world_writable", "app.py", "mode 0666"), ("world_writable", "uploads/", "mode 1777")]


def test_symlinked_secrets_are_judged_by_their_target(tmp_path):
    init_repo(tmp_path / "app", {"app.py": "x = 1\n"}, gitignore="")
    shared = write(tmp_path, "shared/shop.env", "A=1\n", 0o644)
    os.symlink(shared, str(tmp_path / "app" / ".env"))
    os.symlink(str(tmp_path / "gone.key"), str(tmp_path / "app" / "dangling.key"))
    record = check(dict(path=str(tmp_path / "app")))
    assert [(f["rule"], f["file"], f["detail"]) for f in record["observed"]["findings"]] == [
        ("secret_file_mode", ".env", "mode 0644 (of the link's target) gives group and others access (max 0600)"),
        ("env_file_not_ignored", ".env", "not ignored by git; add it to .gitignore")]


def test_each_match_is_placed_on_its_own_line(tmp_path):
    first, second = aws_access_key_id(), aws_access_key_id()
    text = (f"a = 1\r\nkeys = ['{first}', '{second}']\n\n\n"
            f"other = '{aws_access_key_id()}'  # pragma: allowlist secret\n"
            f"last = '{aws_access_key_id()}'")
    init_repo(tmp_path, {"keys.py": text})
    record = check(dict(path=str(tmp_path)))
    assert rules_at(record) == [("aws_access_key_id", "keys.py", 2), ("aws_access_key_id", "keys.py", 6)]


# --- requirements ---------------------------------------------------------------------------------

def test_unpinned_requirements_warn_per_line(tmp_path):
    init_repo(tmp_path, {
        "requirements.txt": "Django>=4.2\n# comment\ncelery[redis]~=5.4\nredis==5.*\ngunicorn\n-e .\n",
        "requirements/prod.txt": "sentry-sdk\n",
        "docs/requirements-docs.txt": "sphinx==8.1.3\n",
    })
    record = check(dict(path=str(tmp_path), requirements=["requirements*.txt", "requirements/*.txt"]))
    assert record["status"] == "warn"
    assert [(f["file"], f["line"], f["detail"]) for f in record["observed"]["findings"]] == [
        ("requirements.txt", 1, "Django>=4.2 is not pinned with =="),
        ("requirements.txt", 3, "celery[redis]~=5.4 is not pinned with =="),
        ("requirements.txt", 4, "redis==5.* is not pinned with =="),
        ("requirements.txt", 5, "gunicorn is not pinned with =="),
        ("requirements/prod.txt", 1, "sentry-sdk is not pinned with =="),
    ]
    assert check(dict(path=str(tmp_path), requirements=[]))["status"] == "pass"


def test_ignored_requirements_files_are_not_checked(tmp_path):
    init_repo(tmp_path, {"requirements.txt": "flask==3.1.0\n"}, gitignore=".venv/\n")
    write(tmp_path, ".venv/lib/site-packages/pkg/requirements.txt", "anything\n")
    assert check(dict(path=str(tmp_path)))["status"] == "pass"


@pytest.mark.parametrize("line, shown", [
    ("Django==4.2.17", None),
    ("psycopg[binary]===3.2.3", None),
    ("tomli==2.0.1; python_version < '3.11'", None),
    ("requests==2.32.3 --hash=sha256:70761cfe", None),
    ("-r base.txt", None),
    ("--index-url https://token@pypi.example.invalid/simple", None),
    ("./vendor/wheel-1.0.whl", None),
    ("Django>=4.2,<5", "Django>=4.2,<5"),
    ("Django>=4.2,==4.2.17", None),
    ("redis==5.*", "redis==5.*"),
    ("gunicorn ; sys_platform == 'linux'", "gunicorn"),
    ("git+https://s3cr3t-token@github.com/acme/lib.git@v1.2#egg=acmelib",
     "acmelib (direct reference without a commit or hash)"),
    ("acmelib @ git+https://github.com/acme/lib.git@0123456789abcdef0123456789abcdef01234567", None),
    ("acmelib @ https://deploy:s3cr3t@files.example.invalid/acmelib-1.2.tar.gz",
     "acmelib (direct reference without a commit or hash)"),
    ("acmelib @ https://files.example.invalid/acmelib-1.2.tar.gz#sha256=0123abcd", None),
])
def test_what_counts_as_pinned(line, shown):
    assert secrets_hygiene.unpinned(line) == shown


# --- errors and bounds ----------------------------------------------------------------------------

def test_missing_path_is_an_error(tmp_path):
    record = check(dict(path=str(tmp_path / "gone")))
    assert record["status"] == "error"
    assert record["summary"] == f'cannot check {tmp_path / "gone"}: No such file or directory'
    a_file = write(tmp_path, "file", "")
    assert check(dict(path=a_file))["summary"] == f"{a_file} is not a directory"


def test_checkout_without_git_is_an_error_but_a_plain_directory_needs_none(tmp_path):
    clean_repo(tmp_path / "repo")
    record = check(dict(path=str(tmp_path / "repo"), git_executable=str(tmp_path / "no-git")))
    assert record["status"] == "error"
    assert record["summary"] == "{} is a git checkout but the git executable {!r} was not found on this host".format(
        tmp_path / "repo", str(tmp_path / "no-git"))
    write(tmp_path, "plain/app.py", "x = 1\n")
    assert check(dict(path=str(tmp_path / "plain"), git_executable=str(tmp_path / "no-git")))["status"] == "pass"


def test_unreadable_files_make_the_scan_incomplete():
    with searchable_tmp_dir() as where:
        write(where, "app.py", "x = 1\n", 0o644)
        write(where, "private.txt", "nobody may read this\n", 0o600)
        outcome = run_check_as(nobody(), "secrets_hygiene", validated(dict(path=where)))
        assert outcome["status"] == "error"
        assert outcome["summary"] == ("1 path(s) could not be read, so the scan is incomplete: "
                                      "private.txt (Permission denied)")


def test_scan_stopped_by_the_time_limit_is_an_error(tmp_path):
    for n in range(50):
        write(tmp_path, f"d{n:02d}/f.txt", "x\n")
    record = check(dict(path=str(tmp_path)), timeout=0.25)
    assert record["status"] == "error"
    assert f"time limit reached during the walk of {tmp_path}" in record["summary"]
    assert record["summary"].endswith("the scan is incomplete (raise timeout)")


def test_checkout_owned_by_another_user_is_read_without_changing_it(tmp_path):
    user = nobody()
    with searchable_tmp_dir() as where:
        repo = clean_repo(os.path.join(where, "repo"))
        for directory, dirnames, filenames in os.walk(repo):
            for name in dirnames + filenames:
                os.lchown(os.path.join(directory, name), user.pw_uid, user.pw_gid)
        os.lchown(repo, user.pw_uid, user.pw_gid)
        before = _snapshot(repo)
        record = check(dict(path=repo))
        assert record["status"] == "pass", record["summary"]
        assert _snapshot(repo) == before


def _snapshot(directory):
    seen = {}
    for where, dirnames, filenames in os.walk(directory):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(where, name))
            seen[os.path.join(where, name)] = (st.st_size, st.st_mtime_ns, st.st_mode)
    return seen


# --- options ----------------------------------------------------------------------------------------

def validated(item):
    return validated_item(secrets_hygiene, item)


@pytest.mark.parametrize("item, message", [
    (dict(path="srv/app"), "path: 'srv/app' must be absolute"),
    (dict(path="/srv/app", env_files=["/etc/.env"]),
     "env_files: '/etc/.env' must be a non-empty glob relative to path"),
    (dict(path="/srv/app", exclude=[" "]), "exclude: ' ' must be a non-empty glob relative to path"),
    (dict(path="/srv/app", patterns={"token": "("}),
     "patterns: '(' is not a valid regular expression for 'token': missing ), unterminated subpattern at position 0"),
    (dict(path="/srv/app", patterns={"my token": "x"}),
     "patterns: rule name 'my token' may only hold letters, digits, '_', '.' and '-'"),
    (dict(path="/srv/app", patterns={"token": ""}), "patterns: the pattern of 'token' must be a non-empty string"),
    (dict(path="/srv/app", max_file_size="lots"), "max_file_size: 'lots' is not a number with an optional unit"),
    (dict(path="/srv/app", max_file_size=0), "max_file_size: must be greater than zero"),
    (dict(path="/srv/app", max_findings=0), "max_findings: must be at least 1, got 0"),
    (dict(path="/srv/app", secret_mode_max=384), "secret_mode_max: give the mode as a quoted octal string"),
    (dict(path="/srv/app", secret_mode_max="0999"), "secret_mode_max: '0999' is not an octal mode"),
])
def test_bad_options_name_the_option(item, message):
    with pytest.raises(OptionError) as caught:
        secrets_hygiene.prepare(validated(item))
    assert str(caught.value).startswith(message)


def test_describe():
    assert secrets_hygiene.describe(dict(path="/srv/shop")) == ("/srv/shop", "Secrets hygiene of /srv/shop")
