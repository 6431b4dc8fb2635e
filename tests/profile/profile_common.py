"""Shared by the tests/profile checkers: loading profile.json (schema commtune.profile/2) and
expected.json, finding call sites, and collecting failures with readable messages."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

PROFILE_SCHEMA = "commtune.profile/2"
RANK_SCHEMA = "commtune.rank/1"


class Problems:
    """Collects failures; report() prints them and gives the exit status."""

    def __init__(self, checker: str):
        self.checker = checker
        self.items: list[str] = []
        self.passed: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def ok(self, message: str) -> None:
        self.passed.append(message)

    def expect_equal(self, what: str, expected, got) -> bool:
        if expected != got:
            self.add(f"{what}: expected {expected!r}, got {got!r}")
            return False
        return True

    def report(self, subject: str) -> int:
        for line in self.passed:
            print(f"{self.checker}: ok: {line}")
        if self.items:
            print(f"{self.checker}: {subject}: {len(self.items)} problem(s):", file=sys.stderr)
            for line in self.items:
                print(f"  {line}", file=sys.stderr)
            return 1
        print(f"{self.checker}: {subject}: all checks passed")
        return 0


class Fatal(Exception):
    """A problem after which nothing else can be checked."""


def load_json(path: str | os.PathLike, what: str) -> dict:
    path = pathlib.Path(path)
    if not path.is_file():
        raise Fatal(f"{what} {path} does not exist")
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as error:
        raise Fatal(f"{what} {path} is not readable JSON: {error}") from None
    if not isinstance(data, dict):
        raise Fatal(f"{what} {path} is not a JSON object")
    return data


def load_profile(directory: str | os.PathLike, problems: Problems) -> dict:
    profile = load_json(pathlib.Path(directory) / "profile.json", "the profile")
    if profile.get("schema") != PROFILE_SCHEMA:
        problems.add(f"profile.json: schema is {profile.get('schema')!r}, expected {PROFILE_SCHEMA!r}")
    return profile


def require(container: dict, key: str, where: str, kind=None):
    """container[key], or Fatal naming what is missing."""
    if not isinstance(container, dict) or key not in container:
        fields = sorted(container) if isinstance(container, dict) else container
        raise Fatal(f"{where}: no field {key!r} (fields: {fields!r})")
    value = container[key]
    if kind is not None and not isinstance(value, kind):
        wanted = kind.__name__ if isinstance(kind, type) else kind
        raise Fatal(f"{where}: {key!r} is {type(value).__name__} {value!r}, expected {wanted}")
    return value


def basename(path) -> str:
    return os.path.basename(path) if isinstance(path, str) else ""


def site_name(function: str, file: str, line) -> str:
    return f"{function} at {file}:{line}"


def describe_site(site: dict) -> str:
    return (f"id {site.get('id')} {site.get('function')} at {site.get('file')}:{site.get('line')} "
            f"(module {site.get('module')}, symbol {site.get('symbol')}, calls {site.get('calls')})")


def find_sites(sites: list[dict], function: str, file: str, line: int, extra=None) -> list[dict]:
    """Call-site entries (profile 'callsites', or wait_states/imbalance entries) of `function`
    whose file's basename is `file` and whose line is `line`."""
    return [s for s in sites
            if s.get("function") == function and basename(s.get("file")) == file and s.get("line") == line
            and (extra is None or extra(s))]


def candidates(sites: list[dict], function: str, limit: int = 8) -> str:
    same = [s for s in sites if s.get("function") == function]
    if not same:
        return f"the profile has no call site of {function} at all"
    shown = "; ".join(f"{s.get('file')}:{s.get('line')} calls {s.get('calls', s.get('instances'))}"
                      for s in same[:limit])
    more = f" and {len(same) - limit} more" if len(same) > limit else ""
    return f"the {function} call sites in the profile are: {shown}{more}"


def functions_by_name(rows: list[dict], where: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for row in rows:
        name = row.get("name")
        if name in out:
            raise Fatal(f"{where}: function {name} appears twice")
        out[name] = row
    return out


def within(got: float, expected: float, tolerance: float) -> bool:
    return abs(got - expected) <= tolerance * abs(expected)


def percent(got: float, expected: float) -> str:
    return f"{(got - expected) / expected * 100:+.1f}%" if expected else "n/a"


def run_expected_check(name: str, doc: str, check, argv: list[str]) -> int:
    """main() of a checker that compares DIR/profile.json with the expected.json a program wrote."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("profile_dir", help="commtune's output directory (holds profile.json)")
    parser.add_argument("expected", help="expected.json written by the test program")
    options = parser.parse_args(argv)
    problems = Problems(name)
    try:
        expected = load_json(options.expected, "expected")
        profile = load_profile(options.profile_dir, problems)
        check(profile, expected, problems)
    except Fatal as error:
        problems.add(str(error))
    return problems.report(f"{options.profile_dir}/profile.json against {options.expected}")
