"""Offline stand-in for the pip bootstrap script ansible-test downloads into its cache.

ansible-test creates empty virtualenvs for its sanity tests and fetches a get-pip script from a
host this machine cannot reach. This script gives the new virtualenv the pip bundled with Python
(ensurepip) and then lets that pip install what ansible-test asked for from the package index.
"""

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def main():
    # In a child process: ensurepip hides pip's configuration files from the process that calls it.
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    main()
