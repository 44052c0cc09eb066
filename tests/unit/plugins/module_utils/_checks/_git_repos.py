"""Real git repositories for the host check tests, and fake secrets minted per run (never in the sources)."""

from __future__ import annotations

import os
import secrets
import shutil
import string
import subprocess

import pytest

_ALNUM = string.ascii_letters + string.digits
_UPPER = string.ascii_uppercase + string.digits
# Isolated from the machine's and the user's git configuration, so every test repository is alike.
_ENV = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_AUTHOR_DATE="2026-01-05T10:00:00Z",
            GIT_COMMITTER_DATE="2026-01-05T10:00:00Z", LC_ALL="C")


def require_git():
    if shutil.which("git") is None:
        pytest.skip("git is not installed")


def git(repo, *args):
    """Run git in ``repo`` and return its stdout; a failure fails the test with git's message."""
    done = subprocess.run(["git", "-C", str(repo), *args], env=_ENV, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, "git {}: {}".format(" ".join(args), done.stderr)
    return done.stdout


def write(root, relpath, text, mode=None):
    """Write a file under ``root`` (parents created), optionally with an exact mode."""
    full = os.path.join(str(root), relpath)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as handle:
        handle.write(text)
    if mode is not None:
        os.chmod(full, mode)
    return full


def init_repo(root, files=None, gitignore=None):
    """A git repository in ``root`` with user and email set locally, ``files`` ({path: text}) and a .gitignore
    committed; returns ``root``."""
    require_git()
    os.makedirs(str(root), exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Release Bot")
    git(root, "config", "user.email", "release-bot@example.invalid")
    if gitignore is not None:
        write(root, ".gitignore", gitignore)
    for relpath, text in (files or {}).items():
        write(root, relpath, text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "initial")
    return root


def commit(root, files, message="change"):
    """Write and commit ``files`` ({path: text}); returns the new HEAD."""
    for relpath, text in files.items():
        write(root, relpath, text)
        git(root, "add", "--", relpath)
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def tag(root, name, annotated=False, ref="HEAD"):
    if annotated:
        git(root, "tag", "-a", name, "-m", f"release {name}", ref)
    else:
        git(root, "tag", name, ref)


def _random(alphabet, length):
    return "".join(secrets.choice(alphabet) for dummy in range(length))


def stripe_live_key():
    return "sk_" + "live_" + _random(_ALNUM, 32)


def aws_access_key_id():
    return "AK" + "IA" + _random(_UPPER, 16)


def github_token():
    return "gh" + "p_" + _random(_ALNUM, 36)


def slack_token():
    return "xo" + "xb-" + _random(string.digits, 12) + "-" + _random(_ALNUM, 24)


def google_api_key():
    return "AI" + "za" + _random(_ALNUM + "_-", 35)


def private_key_block():
    """A PEM-shaped private key block: the BEGIN line the rule matches and a random body."""
    body = _random(_ALNUM, 64)
    return "-----BEGIN RSA " + f"PRIVATE KEY-----\n{body}\n-----END RSA " + "PRIVATE KEY-----\n", body
