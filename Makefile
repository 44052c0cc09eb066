.PHONY: demo test setup sanity lint benchmark benchmark-peers build screenshot clean

demo:            ## run the go-live checklist over the embedded demo inventory
	scripts/demo

test:            ## the whole test suite (what CI runs)
	scripts/test

setup:           ## install Debian packages and the project virtualenv
	scripts/setup

lint:
	scripts/setup && .venv/bin/ruff check .

sanity:
	scripts/setup && scripts/sanity

benchmark:       ## golive run vs ansible -m ping over 20 SSH hosts; 50 TLS endpoints batched vs per task
	scripts/setup && .venv/bin/python benchmarks/golive_vs_ping.py && .venv/bin/python benchmarks/tls_batch_vs_per_task.py

benchmark-peers: ## golive vs ping (5-100 hosts), vs pytest-testinfra and vs a builtin-module playbook (20 hosts)
	scripts/setup && .venv/bin/python benchmarks/peers.py

screenshot:      ## regenerate docs/images/report.png from the demo's HTML report
	scripts/demo; .venv/bin/python tests/browser/screenshot.py

build:           ## the collection tarball; refuses files generated from the kinds that are out of date
	scripts/setup && scripts/generate --check && .venv/bin/ansible-galaxy collection build --force

clean:
	rm -rf golive-report tests/output .pytest_cache golive-readiness-*.tar.gz
