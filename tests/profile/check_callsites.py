#!/usr/bin/env python3
"""Checks profile.json's "callsites" against the expected.json of callsites.c / callsites_f.F90.

usage: check_callsites.py PROFILE_DIR EXPECTED

expected.json: {"program", "ranks", "sites": [{"function", "file" (basename), "line", "calls",
"bytes_sent", "bytes_received", "ranks"?, "symbol"?, "module"? (basename)}]}; calls and bytes are
summed over ranks.

Asserts:
  - for every expected site there is exactly one entry in profile["callsites"] with that function,
    a file whose basename is the expected one and that line; its calls, bytes_sent and
    bytes_received are equal to the expected ones (and ranks, symbol and module, when given);
  - every call site the profile attributes to one of the expected files has debug_info true, and
    so does every frame of any call site that lies in one of those files;
  - every call site the profile puts in a module an expected site names (e.g. libcallsite_helper.so,
    the site inside a shared library) is attributed to one of the expected files;
  - profile["ranks"] equals the expected ranks and the profile is complete.
Exits 0 when all hold, 1 with one line per failure otherwise. Python 3 stdlib only.
"""

from __future__ import annotations

import sys

from profile_common import (Problems, basename, candidates, describe_site, find_sites, require, run_expected_check,
                            site_name)

FIELDS = ("calls", "bytes_sent", "bytes_received")


def symbol_matches(expected: str, got) -> bool:
    """C names are plain; a C++ or Fortran resolver may add a parameter list or module prefix."""
    if not isinstance(got, str):
        return False
    return got == expected or got.startswith(expected + "(")


def check(profile: dict, expected: dict, problems: Problems) -> None:
    problems.expect_equal("profile.json: ranks", expected["ranks"], profile.get("ranks"))
    if profile.get("complete") is not True:
        problems.add(f"profile.json: complete is {profile.get('complete')!r}, expected true "
                     f"(partial_reason {profile.get('partial_reason')!r})")
    sites = require(profile, "callsites", "profile.json", list)
    files = {site["file"] for site in expected["sites"]}
    modules = {site["module"] for site in expected["sites"] if site.get("module")}

    for want in expected["sites"]:
        where = site_name(want["function"], want["file"], want["line"])
        found = find_sites(sites, want["function"], want["file"], want["line"])
        if not found:
            problems.add(f"{where}: no such entry in profile['callsites']; {candidates(sites, want['function'])}")
            continue
        if len(found) > 1:
            problems.add(f"{where}: {len(found)} entries in profile['callsites'], expected exactly one: "
                         + "; ".join(describe_site(s) for s in found))
            continue
        got = found[0]
        mismatches = []
        for field in FIELDS:
            if got.get(field) != want[field]:
                mismatches.append(f"{field} expected {want[field]} got {got.get(field)}")
        if "ranks" in want and got.get("ranks") != want["ranks"]:
            mismatches.append(f"ranks (that made the call) expected {want['ranks']} got {got.get('ranks')}")
        if want.get("symbol") and not symbol_matches(want["symbol"], got.get("symbol")):
            mismatches.append(f"symbol expected {want['symbol']!r} got {got.get('symbol')!r}")
        if want.get("module") and basename(got.get("module")) != want["module"]:
            mismatches.append(f"module expected .../{want['module']} got {got.get('module')!r}")
        if got.get("debug_info") is not True:
            mismatches.append(f"debug_info expected true got {got.get('debug_info')!r}")
        if mismatches:
            problems.add(f"{where} (id {got.get('id')}): " + "; ".join(mismatches))
        else:
            problems.ok(f"{where}: calls {got['calls']}, bytes_sent {got['bytes_sent']}, "
                        f"bytes_received {got['bytes_received']}")

    # The C program runs its MPI_Allreduce inside MPI_Pcontrol(2, "reduction") ... (-2): the site
    # carries the region, the others none, and the region's totals include it.
    if expected.get("program") == "callsites":
        for site in sites:
            # MPI_Pcontrol(-2) itself runs inside the region it leaves
            if basename(site.get("file")) not in files or site.get("function") == "MPI_Pcontrol":
                continue
            wanted = "reduction" if site.get("function") == "MPI_Allreduce" else ""
            if site.get("region") != wanted:
                problems.add(f"{describe_site(site)}: region {site.get('region')!r}, expected {wanted!r}")
        regions = {r.get("name"): r for r in profile.get("regions") or []}
        allreduce = next((w for w in expected["sites"] if w["function"] == "MPI_Allreduce"), None)
        if "reduction" not in regions:
            problems.add(f"profile['regions'] has no 'reduction': {sorted(regions)}")
        elif allreduce and regions["reduction"].get("bytes_sent") != allreduce["bytes_sent"]:
            problems.add(f"region 'reduction': bytes_sent {regions['reduction'].get('bytes_sent')}, expected "
                         f"{allreduce['bytes_sent']} (its MPI_Allreduce calls)")
        else:
            problems.ok("region 'reduction' holds the MPI_Allreduce site")

    # A deeper stack: the call inside the helper library is told apart by its caller.
    if (profile.get("callsite_depth") or 1) >= 2 and "helper_caller_line" in expected:
        helper = [s for s in sites if basename(s.get("file")) == "callsite_helper.c"]
        frames = helper[0].get("frames") or [] if len(helper) == 1 else []
        caller = frames[1] if len(frames) > 1 else {}
        if basename(caller.get("file")) != "callsites.c" or caller.get("line") != expected["helper_caller_line"]:
            problems.add(f"the helper's call site should have callsites.c:{expected['helper_caller_line']} as its "
                         f"second frame at depth {profile.get('callsite_depth')}; got {len(helper)} helper site(s), "
                         f"frames {[(basename(f.get('file')), f.get('line')) for f in frames]}")
        else:
            problems.ok(f"depth {profile['callsite_depth']}: the helper's MPI_Barrier is called from "
                        f"callsites.c:{caller['line']}")

    # Everything the profile attributes to these files must have been resolved with debug info.
    for site in sites:
        where = describe_site(site)
        if basename(site.get("file")) in files and site.get("debug_info") is not True:
            problems.add(f"{where}: debug_info is {site.get('debug_info')!r}, expected true "
                         "(the file is built with -g -O0)")
        for depth, frame in enumerate(site.get("frames") or []):
            if basename(frame.get("file")) in files and frame.get("debug_info") is not True:
                problems.add(f"{where}: frame {depth} at {frame.get('file')}:{frame.get('line')} has debug_info "
                             f"{frame.get('debug_info')!r}, expected true")
        if basename(site.get("module")) in modules and basename(site.get("file")) not in files:
            problems.add(f"{where}: lies in module {site.get('module')} but is attributed to file "
                         f"{site.get('file')!r}, expected one of {sorted(files)}")


def main(argv: list[str]) -> int:
    return run_expected_check("check_callsites", __doc__, check, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
