#!/usr/bin/env python3
"""Checks profile.json's "wait_states" (and, when asked, "imbalance") against planted waits: the
expected.json of late_sender.c and imbalance.c.

usage: check_wait_states.py PROFILE_DIR EXPECTED

expected.json:
  {"program", "ranks", "tolerance" (relative, e.g. 0.10),
   "sites": [{"function", "file" (basename), "line", "kind" ("late_sender" | "late_receiver" |
              "collective"), "planted_s", "planted" (how, for messages), "measured_s" (what the
              program measured itself inside the call, for messages), "instances"?, "max_rank"?,
              "time_per_rank"?: {"max_rank"?, "min_rank"?}}],
   "totals"?: [{"field" (in wait_states, e.g. "late_sender_s"), "kind", "planted_s", "planted",
                "measured_s"}],
   "app_time"?: {"max_rank"}}

Asserts:
  - for every expected site, exactly one entry of wait_states.callsites with that function, file
    basename, line and kind, whose time_s is within the tolerance of planted_s or of measured_s (what
    the program itself timed inside the call, when a loaded machine overran a planted sleep) (and whose
    instances / max_rank are the expected ones, when given);
  - time_per_rank: the profile["callsites"] entry of that site has the expected max_rank and
    min_rank (and so does its imbalance.callsites entry, if it has one);
  - every total: wait_states[field] is within the tolerance of planted_s, and equals the sum of
    time_s over the wait_states.callsites entries of that kind (to 1% or 1 ms);
  - app_time: profile["imbalance"]["app_time"]["max_rank"] is the expected rank.
Exits 0 when all hold, 1 with one line per failure otherwise. Python 3 stdlib only.
"""

from __future__ import annotations

import sys

from profile_common import (Problems, candidates, describe_site, find_sites, percent, require, run_expected_check,
                            site_name, within)


def near_planted(got: float, want: dict, tolerance: float) -> bool:
    """Within the tolerance of the planted wait, or of the wait the program measured itself inside
    the call: on a loaded machine a planted sleep can overrun, and the rank then really waits longer."""
    return within(got, want["planted_s"], tolerance) or ("measured_s" in want and
                                                         within(got, want["measured_s"], tolerance))


def measured(want: dict) -> str:
    if "measured_s" not in want:
        return ""
    text = f"; the program itself measured {want['measured_s']:.4f} s inside the call(s)"
    if abs(want["measured_s"] - want["planted_s"]) > 0.1 * want["planted_s"]:
        text += " (itself off the plan by more than 10%: the machine was too busy to plant the wait precisely)"
    return text


def check_time_per_rank(profile: dict, want: dict, entry: dict, where: str, problems: Problems) -> None:
    ranks_wanted = want.get("time_per_rank")
    if not ranks_wanted:
        return
    sites = require(profile, "callsites", "profile.json", list)
    by_id = [s for s in sites if entry.get("id") is not None and s.get("id") == entry.get("id")]
    found = by_id or find_sites(sites, want["function"], want["file"], want["line"])
    if len(found) != 1:
        problems.add(f"{where}: {len(found)} entries in profile['callsites'] (id {entry.get('id')}), expected one; "
                     + candidates(sites, want["function"]))
        return
    site = found[0]
    per_rank = site.get("time_per_rank")
    if not isinstance(per_rank, dict):
        problems.add(f"{where}: profile['callsites'] entry {describe_site(site)} has no time_per_rank object")
        return
    for key, value in ranks_wanted.items():
        if per_rank.get(key) != value:
            problems.add(f"{where}: callsites time_per_rank.{key} expected rank {value}, got {per_rank.get(key)!r} "
                         f"(time_per_rank: {per_rank})")
        else:
            problems.ok(f"{where}: time_per_rank.{key} is rank {value}")
    imbalance_sites = (profile.get("imbalance") or {}).get("callsites") or []
    for row in imbalance_sites:
        same_place = find_sites([row], want["function"], want["file"], want["line"])
        if row.get("id") == site.get("id") or same_place:
            for key, value in ranks_wanted.items():
                if row.get(key) != value:
                    problems.add(f"{where}: imbalance.callsites {key} expected rank {value}, got {row.get(key)!r} "
                                 f"(entry: {row})")


def check(profile: dict, expected: dict, problems: Problems) -> None:
    tolerance = float(expected.get("tolerance", 0.10))
    problems.expect_equal("profile.json: ranks", expected["ranks"], profile.get("ranks"))
    waits = require(profile, "wait_states", "profile.json", dict)
    entries = require(waits, "callsites", "profile.json wait_states", list)

    for want in expected["sites"]:
        where = f"{site_name(want['function'], want['file'], want['line'])} ({want['kind']})"
        found = find_sites(entries, want["function"], want["file"], want["line"],
                           lambda e: e.get("kind") == want["kind"])
        if not found:
            other_kinds = find_sites(entries, want["function"], want["file"], want["line"])
            hint = (f"it is there with kind {[e.get('kind') for e in other_kinds]}" if other_kinds
                    else candidates(entries, want["function"]))
            problems.add(f"{where}: no entry of kind {want['kind']!r} in wait_states.callsites, expected time_s "
                         f"{want['planted_s']:.4f} s (planted: {want.get('planted', '?')}); {hint}{measured(want)}")
            continue
        if len(found) > 1:
            problems.add(f"{where}: {len(found)} entries in wait_states.callsites, expected one: {found}")
            continue
        entry = found[0]
        got = entry.get("time_s")
        if not isinstance(got, (int, float)):
            problems.add(f"{where}: time_s is {got!r}, expected a number near {want['planted_s']:.4f}")
        elif not near_planted(got, want, tolerance):
            problems.add(f"{where}: time_s expected {want['planted_s']:.4f} s +-{tolerance:.0%} "
                         f"(planted: {want.get('planted', '?')}), got {got:.4f} s ({percent(got, want['planted_s'])})"
                         f"{measured(want)}")
        else:
            problems.ok(f"{where}: time_s {got:.4f} s, planted {want['planted_s']:.4f} s "
                        f"({percent(got, want['planted_s'])})")
        if "instances" in want and entry.get("instances") != want["instances"]:
            problems.add(f"{where}: instances expected {want['instances']}, got {entry.get('instances')!r}")
        if "max_rank" in want and entry.get("max_rank") != want["max_rank"]:
            problems.add(f"{where}: max_rank (the rank that waited most) expected {want['max_rank']}, "
                         f"got {entry.get('max_rank')!r} (per_rank_max_s {entry.get('per_rank_max_s')!r})")
        check_time_per_rank(profile, want, entry, where, problems)

    for total in expected.get("totals", []):
        field = total["field"]
        got = waits.get(field)
        if not isinstance(got, (int, float)):
            problems.add(f"wait_states.{field} is {got!r}, expected a number near {total['planted_s']:.4f}")
            continue
        if not near_planted(got, total, tolerance):
            problems.add(f"wait_states.{field}: expected {total['planted_s']:.4f} s +-{tolerance:.0%} "
                         f"(planted: {total.get('planted', '?')}), got {got:.4f} s ({percent(got, total['planted_s'])})"
                         f"{measured(total)}")
        else:
            problems.ok(f"wait_states.{field} {got:.4f} s, planted {total['planted_s']:.4f} s")
        listed = sum(e.get("time_s", 0) for e in entries if e.get("kind") == total["kind"])
        if abs(listed - got) > max(0.01 * abs(got), 0.001):
            problems.add(f"wait_states.{field} is {got:.4f} s but the wait_states.callsites entries of kind "
                         f"{total['kind']!r} add up to {listed:.4f} s")

    if "app_time" in expected:
        imbalance = require(profile, "imbalance", "profile.json", dict)
        app = require(imbalance, "app_time", "profile.json imbalance", dict)
        for key, value in expected["app_time"].items():
            if app.get(key) != value:
                problems.add(f"imbalance.app_time.{key}: expected rank {value} (it sleeps longest), got "
                             f"{app.get(key)!r} (app_time: {app}; per_rank: {imbalance.get('per_rank')})")
            else:
                problems.ok(f"imbalance.app_time.{key} is rank {value}")


def main(argv: list[str]) -> int:
    return run_expected_check("check_wait_states", __doc__, check, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
