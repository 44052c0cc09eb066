"""The documented example inventory's variables are valid check settings (validated, never contacted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The golive playbook's own checklists (playbooks/vars/checklists.yml) assemble every example host's checklist,
# the gate's policy stage validates them on the controller, and the connection is forced to local: no example
# host is contacted.
VALIDATE = """
- hosts: all
  gather_facts: false
  vars_files: [CHECKLISTS_FILE]
  vars:
    example_host_checks: >-
      {{ [golive_infrastructure_host_checks, golive_application_host_checks, golive_security_host_checks,
          golive_services_host_checks, golive_data_host_checks, golive_monitoring_host_checks,
          golive_backup_host_checks] }}
    example_endpoint_checks: >-
      {{ [golive_infrastructure_endpoint_checks, golive_application_endpoint_checks,
          golive_security_endpoint_checks, golive_services_endpoint_checks, golive_data_endpoint_checks,
          golive_monitoring_endpoint_checks, golive_backup_endpoint_checks] }}
  tasks:
    - name: Validate every host's checks and the policy of every level, as the golive playbook does before any host
      golive.readiness.gate:
        stage: policy
        read_host_policy: true
        scope_hosts: "{{ ansible_play_hosts_all }}"
        checklists: {host: example_host_checks, endpoint: example_endpoint_checks}
        waivers: "{{ hostvars['localhost'].golive_waivers | default([]) }}"
        blocking_severities: "{{ hostvars['localhost'].golive_blocking_severities | default(['critical', 'high']) }}"
        fail_on_nogo: "{{ hostvars['localhost'].golive_fail_on_nogo | default(true) }}"
        signoff: "{{ hostvars['localhost'].golive_signoff | default([]) }}"
        attestations_required: "{{ hostvars['localhost'].golive_attestations_required | default([]) }}"
        attestations: "{{ hostvars['localhost'].golive_attestations | default([]) }}"
      delegate_to: localhost
      run_once: true
    - name: Count each host's checks (host and endpoint checks)
      ansible.builtin.set_fact:
        golive_count: "{{ (example_host_checks + example_endpoint_checks) | golive.readiness.checklist | length }}"
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Show the number of checks per host
      ansible.builtin.debug:
        msg: "{{ dict(groups['all'] | zip(groups['all'] | map('extract', hostvars, 'golive_count'))) }}"
"""


# What the example's ansible-vault would hold; made up here so no key-shaped value sits in the repository.
VAULT = dict(
    vault_stripe_secret_key="sk_" + "live_" + "7" * 24,
    stripe_publishable_key="pk_" + "live_" + "8" * 24,
    vault_stripe_webhook_secret="whsec_" + "9" * 32,
    vault_prometheus_token="example-token",
    vault_ci_token="example-ci-token",
    vault_golive_db_password="example-password",
    vault_restore_db_password="example-password",
)


def test_example_inventory_variables_validate(tmp_path):
    playbook = tmp_path / "validate.yml"
    playbook.write_text(VALIDATE.replace("CHECKLISTS_FILE", os.path.join(REPO, "playbooks", "vars", "checklists.yml")))
    env = dict(os.environ, ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_NOCOLOR="1",
               GOLIVE_REPORT_DIR=str(tmp_path / "report"))
    vault = tmp_path / "vault.json"
    vault.write_text(json.dumps(VAULT))
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "inventories/example",
         "-e", "ansible_connection=local", "-e", f"@{vault}", str(playbook)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    shown_at = proc.stdout.index("ok: [localhost] => {") + len("ok: [localhost] => ")
    shown = json.JSONDecoder().raw_decode(proc.stdout[shown_at:])[0]["msg"]
    assert shown["web01.shop.internal"] == 21
    assert shown["worker01.shop.internal"] == 12
    assert shown["bastion.shop.internal"] == 9
