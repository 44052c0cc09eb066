"""Real log files and logrotate configurations for the log_health tests."""

from __future__ import annotations

import os
import time


def stamp(seconds_ago, now=None):
    """An ISO-8601 UTC timestamp ``seconds_ago`` before now, as applications write them."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime((now or time.time()) - seconds_ago))


def write_log(path, lines, age=None):
    """A log file of ``lines``; its modification time set ``age`` seconds back with os.utime."""
    path = str(path)
    with open(path, "w") as handle:
        handle.writelines(line + "\n" for line in lines)
    if age is not None:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def timed_lines(count, start_ago, step=1.0, message="INFO request served in 12ms"):
    """``count`` lines with timestamps from ``start_ago`` seconds ago onwards, one every ``step`` seconds."""
    now = time.time()
    return [f"{stamp(start_ago - index * step, now)} {message} {index}" for index in range(count)]


class Logrotate(object):
    """A logrotate.conf including a logrotate.d directory, both under ``root``."""

    def __init__(self, root, include=True):
        self.root = str(root)
        self.conf = os.path.join(self.root, "logrotate.conf")
        self.dir = os.path.join(self.root, "logrotate.d")
        os.makedirs(self.dir, exist_ok=True)
        with open(self.conf, "w") as handle:
            handle.write("# see man logrotate\nweekly\nrotate 4\ncreate\n")
            if include:
                handle.write(f"include {self.dir}\n")

    def snippet(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as handle:
            handle.write(text)
        return path

    def options(self, **item):
        return dict(dict(logrotate_conf=self.conf, logrotate_dir=self.dir), **item)


def stanza(*patterns, body="daily\nrotate 14\ncompress\n"):
    return "{} {{\n{}}}\n".format(" ".join(patterns), body)
