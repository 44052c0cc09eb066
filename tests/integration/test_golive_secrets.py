"""Secret values read on the hosts never reach the output or the report of a real golive run."""

from __future__ import annotations

import pytest
from playbook_runs import HEALTHY_VARS, SSH_HOSTS, checks_by_host

pytestmark = pytest.mark.integration

# Distinctive random-looking parts: none of them may appear anywhere, not even in part.
SECRET_KEY = "Zq8Kx3RtQ7mW2pVn9LsY4bHj6DfG1cAe"
DB_PASSWORD = "Pw9xQ2mZr7KtL4vN"
TOKEN_TAIL = "Hk27vQpX93LmRtWy"
API_TOKEN = "changeme-" + TOKEN_TAIL
ENV_FILE_TEXT = """\
APP_ENV=production
SECRET_KEY="{secret_key}"
DATABASE_URL=postgresql://shop:{password}@db-primary.shop.internal:5432/shop
API_TOKEN={token}
""".format(secret_key=SECRET_KEY, password=DB_PASSWORD, token=API_TOKEN)
# Masked forms may show a few characters (mask_secret keeps the last four), never this many in a row.
LEAK_WINDOW = 6


def leaked_fragments(text, secrets=(SECRET_KEY, DB_PASSWORD, TOKEN_TAIL), window=LEAK_WINDOW):
    """Every ``window``-character fragment of a secret that occurs in ``text``."""
    found = set()
    for secret in secrets:
        for start in range(len(secret) - window + 1):
            fragment = secret[start:start + window]
            if fragment in text:
                found.add(fragment)
    return sorted(found)


@pytest.fixture
def secret_env_file(tmp_path):
    path = tmp_path / "shop.env"
    path.write_text(ENV_FILE_TEXT)
    path.chmod(0o600)
    return str(path)


def test_env_secrets_stay_on_the_hosts(golive, secret_env_file):
    env_check = dict(
        env_file=secret_env_file,
        required=["APP_ENV", "SECRET_KEY", "DATABASE_URL", "API_TOKEN"],
        # SECRET_KEY does not match: the failure must say so without quoting the value.
        expected_values=dict(APP_ENV="^production$", SECRET_KEY="^live-"),
    )
    group_vars = dict(HEALTHY_VARS, golive_env_vars=[env_check])
    # -v prints every task result, including the check records the hosts sent back.
    run = golive.run("-v", group_vars=group_vars, label="secrets")

    assert run.returncode != 0, run.tail()
    assert run.verdict == "NO-GO", run.tail()
    report = run.report
    for host in SSH_HOSTS:
        record = checks_by_host(report)[host]["env_vars:%s" % secret_env_file]
        assert record["status"] == "fail", record
        assert "API_TOKEN" in record["summary"], record
        assert "SECRET_KEY" in record["summary"], record

    places = dict(stdout=run.stdout, stderr=run.stderr, report_json=run.report_text("report.json"),
                  junit_xml=run.junit)
    leaks = dict((place, leaked_fragments(text)) for place, text in places.items())
    assert dict((place, found) for place, found in leaks.items() if found) == {}, leaks
