"""The README's ansible.cfg for the report callback, read by Ansible's own configuration manager as written."""

from __future__ import annotations

import os
import re

import yaml
from ansible.config.manager import ConfigManager

from ansible_collections.golive.readiness.plugins.callback import report

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALLBACK = "golive.readiness.report"


def readme_ini_blocks() -> list[str]:
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    return [re.sub(r"^ +", "", block, flags=re.MULTILINE)
            for block in re.findall(r"```ini\n(.*?)```", text, re.DOTALL)]


def test_the_readmes_callback_settings_give_the_report_directory_and_enable_the_callback(tmp_path, monkeypatch):
    for variable in ("GOLIVE_REPORT_DIR", "ANSIBLE_CALLBACKS_ENABLED"):
        monkeypatch.delenv(variable, raising=False)
    [block] = readme_ini_blocks()
    config = tmp_path / "ansible.cfg"
    config.write_text(block, encoding="utf-8")
    manager = ConfigManager(conf_file=str(config))
    options = yaml.safe_load(report.DOCUMENTATION)["options"]
    manager.initialize_plugin_configuration_definitions("callback", CALLBACK, options)

    report_dir, origin = manager.get_config_value_and_origin("report_dir", plugin_type="callback",
                                                             plugin_name=CALLBACK)
    assert (report_dir, origin) == ("golive-report", str(config))
    assert CALLBACK in manager.get_config_value("CALLBACKS_ENABLED")
