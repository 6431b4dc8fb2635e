"""Shared by the runner test scripts: expect() prints and records one check, parse_args() adds the
launcher words that follow `--`, exit_status() is the script's exit code."""
import argparse

failures = []


def expect(condition, what):
    if not condition:
        failures.append(what)
    print(("ok   " if condition else "FAIL ") + what)


def parse_args(parser):
    """Parses the command line of `parser` plus trailing launcher words; args.launcher is the list
    of words after `--` (or all trailing words without one)."""
    parser.add_argument("launcher", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.launcher and args.launcher[0] == "--":
        args.launcher = args.launcher[1:]
    return args


def exit_status():
    return 1 if failures else 0
