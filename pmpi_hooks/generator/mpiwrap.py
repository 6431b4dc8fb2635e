#!/usr/bin/env python3
"""Generates commtune's MPI wrappers from the installed MPI's own header.

Input: the output of the C preprocessor run on `#include <mpi.h>` (so the set of functions is
exactly the one the MPI library in use declares), and the dynamic symbols its Fortran libraries
export. Output, in one directory:

  functions.hpp       FunctionId enum, names and categories of every declared MPI function
  wrappers_c.cpp      one C wrapper per function (except the hand-written and skipped ones)
  wrappers_fortran.cpp one wrapper per exported Fortran symbol (mpif.h / use mpi / use mpi_f08)
  exports.map         linker version script: exactly the symbols we define are exported
  wrapped.txt         the C functions wrapped, one per line (read by the symbol-gap test)

Each generated function says in a comment which template made it. Arguments are classified once,
in ROLE_TABLE, by type and name; templates say which roles they need.
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import re
import sys

# ---------------------------------------------------------------------------------------------
# Parsing the preprocessed header
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Arg:
    text: str  # the declaration as written, with a name
    name: str
    base: str  # base type without const, '*' or array suffixes, e.g. "MPI_Datatype"
    pointers: int  # '*' count plus array dimensions
    array: bool  # declared with []

    @property
    def is_char(self) -> bool:
        return self.base == "char"


@dataclasses.dataclass
class Function:
    name: str  # MPI_Send
    ret: str  # int, double, MPI_Comm, ...
    args: list[Arg]
    varargs: bool = False

    @property
    def pmpi(self) -> str:
        return "P" + self.name


def _strip_attributes(text: str) -> str:
    """Removes __attribute__((...)) and similar annotations, with balanced parentheses."""
    out = []
    i = 0
    pattern = re.compile(r"__attribute__\s*\(|__asm__\s*\(|__declspec\s*\(")
    while True:
        m = pattern.search(text, i)
        if not m:
            out.append(text[i:])
            break
        out.append(text[i : m.start()])
        depth = 1
        j = m.end()
        while j < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            j += 1
        i = j
    return "".join(out)


def _statements(text: str):
    """Top-level statements (split at ';' outside braces and parentheses)."""
    depth = 0
    start = 0
    for i, c in enumerate(text):
        if c in "({":
            depth += 1
        elif c in ")}":
            depth -= 1
        elif c == ";" and depth == 0:
            yield text[start:i].strip()
            start = i + 1


def _split_args(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUALIFIERS = {"const", "volatile", "restrict", "__restrict", "__restrict__", "struct", "enum", "unsigned", "signed"}


def parse_arg(text: str, index: int) -> Arg:
    array_dims = text.count("[")
    core = re.sub(r"\[[^\]]*\]", "", text).strip()
    idents = _IDENT.findall(core)
    words = [w for w in idents if w not in _QUALIFIERS]
    pointers = core.count("*")
    # "MPI_Comm comm" -> name comm; "MPI_Comm" or "int *" -> unnamed
    if len(words) >= 2 and not core.rstrip().endswith("*"):
        name = words[-1]
        base = " ".join(w for w in words[:-1])
    else:
        name = f"arg{index}"
        base = " ".join(words)
        text = f"{text.split('[')[0]} {name}" + ("".join(re.findall(r"\[[^\]]*\]", text)))
    if "unsigned" in idents:
        base = "unsigned " + base
    return Arg(text=text, name=name, base=base, pointers=pointers + array_dims, array=array_dims > 0)


def parse_header(preprocessed: str) -> list[Function]:
    text = _strip_attributes(preprocessed)
    text = re.sub(r"\s+", " ", text)
    declaration = re.compile(
        r"^(?:extern\s+)?(?P<ret>[A-Za-z_][A-Za-z0-9_ \*]*?)\s*\b(?P<name>(?<![A-Za-z0-9_])MPI_[A-Za-z0-9_]+)\s*"
        r"\((?P<args>.*)\)$"
    )
    functions: dict[str, Function] = {}
    for statement in _statements(text):
        if statement.startswith("typedef") or "{" in statement:
            continue
        m = declaration.match(statement)
        if not m:
            continue
        ret = m.group("ret").strip()
        if ret.startswith("typedef") or "(" in ret:
            continue
        raw_args = _split_args(m.group("args"))
        varargs = "..." in raw_args
        raw_args = [a for a in raw_args if a != "..."]
        if raw_args == ["void"]:
            raw_args = []
        args = [parse_arg(a, i) for i, a in enumerate(raw_args)]
        functions.setdefault(m.group("name"), Function(m.group("name"), ret, args, varargs))
    return sorted(functions.values(), key=lambda f: f.name)


# ---------------------------------------------------------------------------------------------
# Classification: one table of argument roles, by name and type
# ---------------------------------------------------------------------------------------------

INT_TYPES = {"int", "MPI_Count", "MPI_Aint", "MPI_Offset", "MPI_Fint"}

# (role, accepted names, accepted base types, pointer depth or None for any)
ROLE_TABLE = [
    ("send_buf", {"sendbuf"}, {"void"}, 1),
    ("recv_buf", {"recvbuf"}, {"void"}, 1),
    ("buf", {"buf", "ibuf", "buffer", "inbuf"}, {"void"}, 1),
    ("count", {"count"}, INT_TYPES, 0),
    ("send_count", {"sendcount"}, INT_TYPES, 0),
    ("recv_count", {"recvcount"}, INT_TYPES, 0),
    ("send_counts", {"sendcounts"}, INT_TYPES, 1),
    ("recv_counts", {"recvcounts"}, INT_TYPES, 1),
    ("datatype", {"datatype", "type"}, {"MPI_Datatype"}, 0),
    ("send_type", {"sendtype"}, {"MPI_Datatype"}, 0),
    ("recv_type", {"recvtype"}, {"MPI_Datatype"}, 0),
    ("send_types", {"sendtypes"}, {"MPI_Datatype"}, 1),
    ("recv_types", {"recvtypes"}, {"MPI_Datatype"}, 1),
    ("dest", {"dest"}, {"int"}, 0),
    ("source", {"source"}, {"int"}, 0),
    ("root", {"root"}, {"int"}, 0),
    ("target_rank", {"target_rank"}, {"int"}, 0),
    ("tag", {"tag", "sendtag", "recvtag"}, {"int"}, 0),
    ("comm", {"comm"}, {"MPI_Comm"}, 0),
    ("win", {"win"}, {"MPI_Win"}, 0),
    ("file", {"fh"}, {"MPI_File"}, 0),
    ("request", {"request"}, {"MPI_Request"}, 1),
    ("status", {"status"}, {"MPI_Status"}, 1),
    ("origin_count", {"origin_count"}, INT_TYPES, 0),
    ("origin_type", {"origin_datatype"}, {"MPI_Datatype"}, 0),
    ("result_count", {"result_count"}, INT_TYPES, 0),
    ("result_type", {"result_datatype"}, {"MPI_Datatype"}, 0),
]


def classify(function: Function) -> dict[str, Arg]:
    roles: dict[str, Arg] = {}
    for arg in function.args:
        for role, names, bases, pointers in ROLE_TABLE:
            if arg.name in names and arg.base in bases and (pointers is None or arg.pointers == pointers):
                roles.setdefault(role, arg)
                break
    return roles


# Functions written by hand in pmpi_hooks/runtime (C and Fortran): lifecycle, request completion,
# persistent starts and Pcontrol.
HAND_WRITTEN = {
    "MPI_Init", "MPI_Init_thread", "MPI_Finalize", "MPI_Pcontrol",
    "MPI_Wait", "MPI_Waitall", "MPI_Waitany", "MPI_Waitsome",
    "MPI_Test", "MPI_Testall", "MPI_Testany", "MPI_Testsome",
    "MPI_Start", "MPI_Startall", "MPI_Request_free",
}  # fmt: skip

# Statements run just before the real call, in the C and Fortran wrappers alike.
BEFORE_CALL = {
    "MPI_Abort": "runtime::before_abort();",  # the job is about to be killed: save this rank's record
}

# Functions deliberately not wrapped, with the reason (the symbol-gap test prints these).
NOT_WRAPPED = {
    "MPI_Wtime": "the application's own timer: not communication, and wrapping it would add our cost to its timings",
    "MPI_Wtick": "timer resolution query: not communication",
}

# Fortran symbol suffixes (after the lower-case name) and the C function they stand for.
FORTRAN_VARIANTS = [
    ("", ""), ("_", ""), ("__", ""),  # mpif.h and `use mpi`, every gfortran/ifort mangling
    ("_f08_", ""),                    # Open MPI `use mpi_f08`
    ("_f08ts_", ""),                  # MPICH `use mpi_f08`
    ("_f08ts_large_", "_c"),          # MPICH `use mpi_f08`, MPI_Count variants
]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------

P2P_SEND = {"Send", "Bsend", "Ssend", "Rsend", "Isend", "Ibsend", "Issend", "Irsend"}
P2P_SEND_INIT = {"Send_init", "Bsend_init", "Ssend_init", "Rsend_init"}

# Collective data volumes, following the buffers each call describes: bytes_sent is what this
# rank's send arguments hand over, bytes_received what its receive arguments take in (docs/profile.md).
# Helpers: tb(count, type) bytes of a typed buffer; n group size (remote size on intercommunicators);
# ROOT/SENDER this rank is the root / contributes data; IN_PLACE(buf); indeg/outdeg neighbour counts.
COLLECTIVES = {
    "Barrier": ("0", "0"),
    "Bcast": ("ROOT ? tb(count, datatype) : 0", "ROOT || !SENDER ? 0 : tb(count, datatype)"),
    "Gather": ("SENDER && !ROOT && !IN_PLACE(sendbuf) ? tb(sendcount, sendtype) : 0",
               "ROOT ? n * tb(recvcount, recvtype) : 0"),
    "Gatherv": ("SENDER && !ROOT && !IN_PLACE(sendbuf) ? tb(sendcount, sendtype) : 0",
                "ROOT ? sum_bytes(recvcounts, n, recvtype) : 0"),
    "Scatter": ("ROOT ? n * tb(sendcount, sendtype) : 0",
                "SENDER && !ROOT && !IN_PLACE(recvbuf) ? tb(recvcount, recvtype) : 0"),
    "Scatterv": ("ROOT ? sum_bytes(sendcounts, n, sendtype) : 0",
                 "SENDER && !ROOT && !IN_PLACE(recvbuf) ? tb(recvcount, recvtype) : 0"),
    "Allgather": ("IN_PLACE(sendbuf) ? tb(recvcount, recvtype) : tb(sendcount, sendtype)",
                  "n * tb(recvcount, recvtype)"),
    "Allgatherv": ("IN_PLACE(sendbuf) ? 0 : tb(sendcount, sendtype)", "sum_bytes(recvcounts, n, recvtype)"),
    "Alltoall": ("IN_PLACE(sendbuf) ? n * tb(recvcount, recvtype) : n * tb(sendcount, sendtype)",
                 "n * tb(recvcount, recvtype)"),
    "Alltoallv": ("IN_PLACE(sendbuf) ? sum_bytes(recvcounts, n, recvtype) : sum_bytes(sendcounts, n, sendtype)",
                  "sum_bytes(recvcounts, n, recvtype)"),
    "Alltoallw": ("IN_PLACE(sendbuf) ? sum_bytes(recvcounts, n, recvtypes) : sum_bytes(sendcounts, n, sendtypes)",
                  "sum_bytes(recvcounts, n, recvtypes)"),
    "Reduce": ("SENDER ? tb(count, datatype) : 0", "ROOT ? tb(count, datatype) : 0"),
    "Allreduce": ("tb(count, datatype)", "tb(count, datatype)"),
    "Reduce_scatter": ("sum_bytes(recvcounts, n, datatype)", "own_bytes(recvcounts, comm, datatype)"),
    "Reduce_scatter_block": ("n * tb(recvcount, datatype)", "tb(recvcount, datatype)"),
    "Scan": ("tb(count, datatype)", "tb(count, datatype)"),
    "Exscan": ("tb(count, datatype)", "tb(count, datatype)"),
    "Neighbor_allgather": ("tb(sendcount, sendtype)", "indeg * tb(recvcount, recvtype)"),
    "Neighbor_allgatherv": ("tb(sendcount, sendtype)", "sum_bytes(recvcounts, indeg, recvtype)"),
    "Neighbor_alltoall": ("outdeg * tb(sendcount, sendtype)", "indeg * tb(recvcount, recvtype)"),
    "Neighbor_alltoallv": ("sum_bytes(sendcounts, outdeg, sendtype)", "sum_bytes(recvcounts, indeg, recvtype)"),
    "Neighbor_alltoallw": ("sum_bytes(sendcounts, outdeg, sendtypes)", "sum_bytes(recvcounts, indeg, recvtypes)"),
}

RMA = {
    "Put": ("tb(origin_count, origin_datatype)", "0"),
    "Get": ("0", "tb(origin_count, origin_datatype)"),
    "Accumulate": ("tb(origin_count, origin_datatype)", "0"),
    "Get_accumulate": ("tb(origin_count, origin_datatype)", "tb(result_count, result_datatype)"),
    "Fetch_and_op": ("tb(1, datatype)", "tb(1, datatype)"),
    "Compare_and_swap": ("2 * tb(1, datatype)", "tb(1, datatype)"),
}


def base_name(name: str) -> tuple[str, bool]:
    """MPI_Ineighbor_alltoallv_c -> ("Neighbor_alltoallv", True); persistent and large-count
    variants share their operation's base name. The flag says it starts a nonblocking operation."""
    core = name[len("MPI_") :]
    if core.endswith("_c"):
        core = core[:-2]
    nonblocking = False
    if core.endswith("_init") and core[: -len("_init")] in COLLECTIVES:
        return core[: -len("_init")], True
    if core.startswith("I") and len(core) > 1:
        candidate = core[1].upper() + core[2:]
        if candidate in COLLECTIVES or candidate in P2P_SEND or candidate in {"Recv", "Mrecv", "Sendrecv", "Sendrecv_replace"}:
            return candidate, True
    if core.startswith("R") and len(core) > 1:
        candidate = core[1].upper() + core[2:]
        if candidate in RMA:
            return candidate, True
    return core, nonblocking


@dataclasses.dataclass
class Plan:
    template: str
    uses: list[str]  # the C arguments the record function takes, in this order
    body: list[str]  # C++ statements of the record function (names are the C argument names)
    status: str | None = None  # name of a status argument to substitute when ignored
    # (source, tag, comm) of a blocking receive: probed before the call, so that the record knows
    # whether the message had arrived (`arrived_`, the record function's last parameter)
    probe: list[str] | None = None


def _expr_args(expression: str, function: Function) -> set[str]:
    names = {a.name for a in function.args}
    return {w for w in _IDENT.findall(expression) if w in names}


def _volume_plan(function: Function, template: str, sent: str, received: str) -> Plan:
    """A record function computing bytes_sent and bytes_received from a formula of the tables."""
    body = []
    uses: set[str] = set()
    prelude = []
    expressions = [sent, received]
    text = " ".join(expressions)
    if "ROOT" in text or "SENDER" in text:
        prelude.append("const RootedRole role = rooted_role(root, comm);")
        uses |= {"root", "comm"}
    if re.search(r"\bn\b", text):
        prelude.append("const int n = group_size(comm);")
        uses.add("comm")
    if "indeg" in text or "outdeg" in text:
        prelude.append("const NeighborCounts neighbors = neighbor_counts(comm);")
        prelude += [f"const int {d} = neighbors.{d[:-3]};" for d in ("indeg", "outdeg") if d in text]
        uses.add("comm")
    for e in expressions:
        uses |= _expr_args(e, function)
    rewritten = []
    for e in expressions:
        e = re.sub(r"\bROOT\b", "(role == RootedRole::Root)", e)
        e = re.sub(r"\bSENDER\b", "(role != RootedRole::None)", e)
        e = re.sub(r"\bIN_PLACE\(", "in_place(", e)
        e = re.sub(r"\btb\(", "type_bytes(", e)
        rewritten.append(e)
    body += prelude
    if template == "collective":  # the group size, once: the formula may already have asked for it
        body.append("call.note_comm_size(n);" if "const int n = group_size(comm);" in prelude
                    else "call.note_comm_size(group_size(comm));")
        uses.add("comm")
    if rewritten[0] != "0":
        body.append(f"call.add_sent({rewritten[0]});")
    if rewritten[1] != "0":
        body.append(f"call.add_received({rewritten[1]});")
    order = [a.name for a in function.args if a.name in uses]
    return Plan(template, order, body)


def _payload_sample(buf: str, bytes_: str, count: str, datatype: str) -> str:
    """The compressibility sampler's counter check on a send's payload (runtime/payload.hpp)."""
    return f"payload::consider(call.site(), {buf}, {bytes_}, {count}, {datatype});"


def plan(function: Function) -> Plan:
    return with_request_tracking(function, volume_plan(function))


def posted_request(function: Function) -> str | None:
    """The request a function creates (nonblocking and persistent operations), if any."""
    roles = classify(function)
    if "request" not in roles or roles["request"].array:
        return None
    core = function.name[len("MPI_") :].removesuffix("_c")
    _, nonblocking = base_name(function.name)
    if nonblocking or core.endswith("_init") or core.startswith("File_i"):
        return roles["request"].name
    return None


def with_request_tracking(function: Function, plan_: Plan) -> Plan:
    """Every request is followed to its completion (lifetime, time inside completion calls)."""
    request = posted_request(function)
    if request is None or any("track_request" in line for line in plan_.body):
        return plan_
    persistent = function.name.removesuffix("_c").endswith("_init")
    kind = "PersistentOther" if persistent else "Send" if plan_.template == "p2p_send" else "Other"
    plan_.body = plan_.body + [f"track_request(*{request}, call, RequestKind::{kind});"]
    if request not in plan_.uses:
        plan_.uses = plan_.uses + [request]
    return plan_


def volume_plan(function: Function) -> Plan:
    roles = classify(function)
    base, nonblocking = base_name(function.name)
    names = {a.name for a in function.args}

    def have(*rs: str) -> bool:
        return all(r in roles for r in rs)

    def n(role: str) -> str:
        return roles[role].name

    if base in P2P_SEND and have("count", "datatype", "dest", "comm"):
        body = [f"const std::int64_t bytes = peer_bytes({n('dest')}, {n('count')}, {n('datatype')});",
                f"call.add_message(peers::world_rank({n('comm')}, {n('dest')}), bytes);"]
        if not nonblocking:
            body.append(f"call.note_send_wait(bytes, {'true' if base == 'Ssend' else 'false'});")
        uses = [n("count"), n("datatype"), n("dest"), n("comm")]
        if have("buf"):  # a header naming the buffer otherwise still counts bytes, without samples
            body.append(_payload_sample(n("buf"), "bytes", n("count"), n("datatype")))
            uses.insert(0, n("buf"))
        return Plan("p2p_send", uses, body)
    if base in P2P_SEND_INIT and have("count", "datatype", "dest", "request", "comm"):
        body = [f"track_request(*{n('request')}, call, RequestKind::PersistentSend, "
                f"peer_bytes({n('dest')}, {n('count')}, {n('datatype')}), peers::world_rank({n('comm')}, {n('dest')}));"]
        return Plan("p2p_send_init", [n("count"), n("datatype"), n("dest"), n("comm"), n("request")], body)
    if base == "Recv_init" and have("request"):
        return Plan("p2p_recv_init", [n("request")],
                    [f"track_request(*{n('request')}, call, RequestKind::PersistentRecv);"])
    if base in {"Recv", "Mrecv"} and "status" in roles and "request" not in roles:
        body = [f"const std::int64_t bytes = received_bytes({n('status')});", "call.add_received(bytes);"]
        if base == "Recv" and {"source", "tag", "comm"} <= names:  # Mrecv's message has arrived: Mprobe waited
            body.append("call.note_receive_wait(arrived_, bytes);")
            return Plan("p2p_recv", [n("status")], body, n("status"), ["source", "tag", "comm"])
        return Plan("p2p_recv", [n("status")], body, n("status"))
    if base in {"Recv", "Mrecv"} and "request" in roles:  # Irecv, Imrecv
        return Plan("p2p_irecv", [n("request")], [f"track_request(*{n('request')}, call, RequestKind::Recv);"])
    if base in {"Sendrecv", "Sendrecv_replace"}:
        count, dtype = ("sendcount", "sendtype") if "sendcount" in names else (n("count"), n("datatype"))
        body = [f"call.add_message(peers::world_rank({n('comm')}, {n('dest')}), peer_bytes({n('dest')}, {count}, {dtype}));"]
        uses = [count, dtype, n("dest"), n("comm")]
        buf = next((n(role) for role in ("send_buf", "buf") if role in roles), None)
        if buf:
            body.append(_payload_sample(buf, f"peer_bytes({n('dest')}, {count}, {dtype})", count, dtype))
            uses.insert(0, buf)
        if "request" in roles:  # Isendrecv: the receive completes later
            body.append(f"track_request(*{n('request')}, call, RequestKind::Recv);")
            uses.append(n("request"))
            return Plan("p2p_isendrecv", uses, body)
        body += [f"const std::int64_t bytes = received_bytes({n('status')});", "call.add_received(bytes);",
                 "call.note_receive_wait(arrived_, bytes);"]
        uses.append(n("status"))
        return Plan("p2p_sendrecv", uses, body, n("status"), ["source", "recvtag", "comm"])
    if base in COLLECTIVES and "comm" in roles:
        sent, received = COLLECTIVES[base]
        needed = _expr_args(sent + " " + received, function) | ({"root"} if "ROOT" in sent + received else set())
        if all(name in names for name in needed | {"comm"}):
            return _volume_plan(function, "collective", sent, received)
    if base in RMA and "win" in roles:
        sent, received = RMA[base]
        if "target_rank" in names:  # nothing moves to or from MPI_PROC_NULL
            sent, received = (e if e == "0" else f"target_rank == MPI_PROC_NULL ? 0 : {e}" for e in (sent, received))
        return _volume_plan(function, "rma", sent, received)
    core = function.name[len("MPI_") :]
    if core.startswith("File_") and have("file", "buf", "count", "datatype"):
        direction = "add_sent" if "write" in core else "add_received" if "read" in core else None
        if direction:
            body = [f"call.{direction}(type_bytes({n('count')}, {n('datatype')}));"]
            return Plan("file_io", [n("count"), n("datatype")], body)
    # Other nonblocking calls (Isend, Ibcast, Iwrite, ...) count their bytes when they start, so
    # their requests need no following to completion.
    return Plan("count_only", [], [])


# ---------------------------------------------------------------------------------------------
# Emitting C++
# ---------------------------------------------------------------------------------------------

CATEGORY_RULES = [
    ("p2p", {"p2p_send", "p2p_send_init", "p2p_recv_init", "p2p_recv", "p2p_irecv", "p2p_sendrecv", "p2p_isendrecv"}),
    ("collective", {"collective"}),
    ("rma", {"rma"}),
    ("io", {"file_io"}),
]


# Partitioned point-to-point (MPI 4.0): persistent requests of a send or receive, filled and
# checked part by part; point-to-point like the sends and receives they replace.
PARTITIONED = ("Psend_init", "Precv_init", "Pready", "Parrived")


def category(function: Function, plan_: Plan) -> str:
    """The one decision of a function's category (docs/profile.md); the report and the trace read
    it from the generated kFunctionCategories."""
    for name, templates in CATEGORY_RULES:
        if plan_.template in templates:
            return name
    core = function.name[4:]
    if core.startswith(("Wait", "Test", "Start", "Request_", "Cancel", "Grequest")):
        return "completion"
    if core.startswith(("Probe", "Iprobe", "Mprobe", "Improbe") + PARTITIONED):
        return "p2p"
    if core.startswith("Win_"):
        return "rma"
    if core.startswith("File_") or core == "Register_datarep":
        return "io"
    if core in {"Init", "Init_thread", "Finalize", "Initialized", "Finalized", "Abort"}:
        return "lifecycle"
    return "other"


def wait_kind(function: Function, plan_: Plan) -> str:
    """late_sender (blocking receives and waits), late_receiver (blocking sends), collective
    (blocking collectives) or none."""
    core = function.name[len("MPI_") :].removesuffix("_c")
    _, nonblocking = base_name(function.name)
    if plan_.probe or core in {"Wait", "Waitall", "Waitany", "Waitsome"}:
        return "late_sender"
    if plan_.template == "p2p_send" and not nonblocking:
        return "late_receiver"
    if plan_.template == "collective" and not nonblocking:
        return "collective"
    return "none"


# Trace mode (runtime/trace.cpp): the communicator, peer and tag a call's record carries (INT_MIN:
# the function has no such argument), and the communicators that constructors return, recorded at
# creation so that their ids agree across ranks. Their values come from `value(arg)`, the C
# expression of a C argument (None when the binding cannot convert it).
PEER_ROLES = ("dest", "source", "root", "target_rank")
# Take or return an existing communicator, or return one not usable yet (MPI_Comm_idup's).
NOT_CONSTRUCTORS = {"MPI_Comm_free", "MPI_Comm_disconnect", "MPI_Comm_get_parent", "MPI_Comm_idup",
                    "MPI_Comm_idup_with_info"}  # fmt: skip


def created_comm(function: Function) -> Arg | None:
    if function.name in NOT_CONSTRUCTORS:
        return None
    for arg in function.args:
        if arg.base == "MPI_Comm" and arg.pointers == 1 and not arg.array and "const" not in arg.text:
            return arg
    return None


def trace_statements(function: Function, plan_: Plan, value, succeeded: str, status: str | None) -> list[str]:
    roles = classify(function)

    def role_value(role: str | None, absent: str) -> str:
        return (value(roles[role]) if role in roles else None) or absent

    comm = role_value("comm", "MPI_COMM_NULL")
    peer = role_value(next((r for r in PEER_ROLES if r in roles), None), "INT_MIN")
    tag = role_value("tag", "INT_MIN")
    # A blocking receive's status names the actual source and tag (MPI_ANY_SOURCE, MPI_ANY_TAG).
    status = f"{succeeded} ? {status} : nullptr" if status and plan_.template == "p2p_recv" else "nullptr"
    lines = []
    if (comm, peer, tag) != ("MPI_COMM_NULL", "INT_MIN", "INT_MIN"):
        lines.append(f"call.trace_args({comm}, {peer}, {tag}, {status});")
    created = created_comm(function)
    new_comm = value(created) if created else None
    if new_comm:
        lines.append(f'if ({succeeded}) trace::comm_created({new_comm}, "{function.name}");')
    if not lines:
        return []
    return ["if (call.tracing()) {"] + [f"  {line}" for line in lines] + ["}"]


def _record_params(function: Function, plan_: Plan) -> str:
    uses = plan_.uses
    by_name = {a.name: a for a in function.args}
    params = ["CallScope& call"]
    for name in uses:
        arg = by_name[name]
        if arg.base == "MPI_Status":
            params.append(f"const MPI_Status* {name}")
        elif arg.base == "void" and arg.pointers == 1:
            params.append(f"const void* {name}")
        elif arg.base == "MPI_Datatype" and arg.pointers == 1:
            params.append(f"Datatypes {name}")  # C handles, or Fortran ones to convert
        else:
            params.append(arg.text)
    if plan_.probe:
        params.append("bool arrived_")
    return ", ".join(params)


def emit_functions_header(functions: list[Function], plans: dict[str, Plan]) -> str:
    lines = [
        "// Generated by pmpi_hooks/generator/mpiwrap.py from the installed mpi.h. Do not edit.",
        "#pragma once",
        "",
        "#include <array>",
        "#include <cstdint>",
        "#include <string_view>",
        "",
        "namespace commtune::pmpi {",
        "",
        "enum class FunctionId : std::uint16_t {",
    ]
    lines += [f"  {f.name}," for f in functions]
    lines += [
        "};",
        "",
        f"inline constexpr std::size_t kFunctionCount = {len(functions)};",
        "",
        "inline constexpr std::array<std::string_view, kFunctionCount> kFunctionNames = {{",
    ]
    lines += [f'    "{f.name}",' for f in functions]
    lines += ["}};", "", "// p2p, collective, rma, io, completion, lifecycle or other",
              "inline constexpr std::array<std::string_view, kFunctionCount> kFunctionCategories = {{"]
    lines += [f'    "{category(f, plans[f.name])}",' for f in functions]
    lines += ["}};", "", "// What a blocked call of each function waits for (docs/profile.md, wait states)",
              "inline constexpr std::array<std::string_view, kFunctionCount> kWaitKinds = {{"]
    lines += [f'    "{wait_kind(f, plans[f.name])}",' for f in functions]
    lines += ["}};", "", "}  // namespace commtune::pmpi", ""]
    return "\n".join(lines)


PRELUDE = """// Generated by pmpi_hooks/generator/mpiwrap.py from the installed mpi.h. Do not edit.
#include <mpi.h>

#include <climits>
#include <cstddef>
#include <cstdint>

#include "runtime/call_scope.hpp"
#include "runtime/export.hpp"
#include "runtime/fortran.hpp"
#include "runtime/payload.hpp"
#include "runtime/peers.hpp"
#include "runtime/requests.hpp"
#include "runtime/runtime.hpp"
#include "runtime/trace.hpp"
#include "runtime/volumes.hpp"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wunused-parameter"

namespace commtune::pmpi::generated {
"""


def emit_records(functions: list[Function], plans: dict[str, Plan]) -> list[str]:
    lines = []
    for f in functions:
        p = plans[f.name]
        if not p.body:
            continue
        lines.append(f"// template: {p.template}")
        lines.append(f"void record_{f.name}({_record_params(f, p)}) {{")
        lines += [f"  {statement}" for statement in p.body]
        lines.append("}")
        lines.append("")
    return lines


def emit_c_wrappers(functions: list[Function], plans: dict[str, Plan]) -> str:
    lines = [PRELUDE]
    lines += emit_records(functions, plans)
    lines.append("}  // namespace commtune::pmpi::generated")
    lines.append("")
    lines.append("using namespace commtune::pmpi;")
    lines.append("using namespace commtune::pmpi::generated;")
    lines.append("")
    for f in functions:
        if f.name in HAND_WRITTEN or f.name in NOT_WRAPPED:
            continue
        p = plans[f.name]
        params = ", ".join(a.text for a in f.args) or "void"
        call_args = ", ".join(a.name for a in f.args)
        lines.append(f"// template: {p.template}")
        lines.append(f'extern "C" COMMTUNE_EXPORT {f.ret} {f.name}({params}) {{')
        lines.append(f"  CallScope call(FunctionId::{f.name}, __builtin_return_address(0));")
        if p.status:
            lines.append("  MPI_Status status_if_ignored_;")
            lines.append(f"  if ({p.status} == MPI_STATUS_IGNORE) {p.status} = &status_if_ignored_;")
        if p.probe:
            lines.append(f"  const bool arrived_ = message_arrived(call, {', '.join(p.probe)});")
        if f.name in BEFORE_CALL:
            lines.append(f"  {BEFORE_CALL[f.name]}")
        lines.append(f"  const {f.ret} result_ = {f.pmpi}({call_args});")
        lines.append("  call.stop();")
        c_value = lambda arg: f"*{arg.name}" if arg.pointers == 1 and arg.base == "MPI_Comm" else arg.name
        succeeded = "result_ == MPI_SUCCESS" if f.ret == "int" else "true"
        lines += [f"  {t}" for t in trace_statements(f, p, c_value, succeeded, p.status)]
        if p.body:
            success = " && result_ == MPI_SUCCESS" if f.ret == "int" else ""
            arguments = "".join(", " + u for u in p.uses) + (", arrived_" if p.probe else "")
            lines.append(f"  if (call.recording(){success}) record_{f.name}(call{arguments});")
        lines.append("  return result_;")
        lines.append("}")
        lines.append("")
    return "\n".join(lines)


# Converting a Fortran argument (always passed by reference) to the C value the record needs.
HANDLE_F2C = {
    "MPI_Comm": "PMPI_Comm_f2c", "MPI_Datatype": "PMPI_Type_f2c", "MPI_Win": "PMPI_Win_f2c",
    "MPI_File": "PMPI_File_f2c", "MPI_Request": "PMPI_Request_f2c", "MPI_Op": "PMPI_Op_f2c",
    "MPI_Group": "PMPI_Group_f2c", "MPI_Info": "PMPI_Info_f2c", "MPI_Message": "PMPI_Message_f2c",
}  # fmt: skip


def fortran_value(arg: Arg, ref: str) -> str | None:
    """C expression for the C argument `arg`, given `ref`, the void* the Fortran caller passed."""
    if arg.base == "MPI_Status":
        return None  # handled by the status substitution
    if arg.base == "MPI_Request" and arg.pointers == 1 and not arg.array:
        return f"&fortran::request_slot({ref})"
    if arg.pointers == 0 and arg.base in HANDLE_F2C:
        return f"{HANDLE_F2C[arg.base]}(*static_cast<const MPI_Fint*>({ref}))"
    if arg.pointers == 0 and arg.base == "int":
        return f"static_cast<int>(*static_cast<const MPI_Fint*>({ref}))"
    if arg.pointers == 0 and arg.base in {"MPI_Count", "MPI_Aint", "MPI_Offset"}:
        return f"*static_cast<const {arg.base}*>({ref})"
    if arg.pointers == 1 and arg.base == "int":
        return f"fortran::int_array({ref})"
    if arg.pointers == 1 and arg.base in {"MPI_Count", "MPI_Aint"}:
        return f"static_cast<const {arg.base}*>({ref})"
    # Datatype arrays (Alltoallw): their length is known only from the communicator, so the
    # handles are converted one by one as the record reads them.
    if arg.pointers == 1 and arg.base == "MPI_Datatype":
        return f"Datatypes::fortran(static_cast<const MPI_Fint*>({ref}))"
    if arg.pointers == 1 and arg.base == "void":
        return f"fortran::buffer({ref})"
    return None


def fortran_trace_value(function: Function, arg: Arg) -> str | None:
    """fortran_value() of an argument the trace reads; a constructor's output communicator too."""
    ref = f"a{function.args.index(arg)}"
    if arg.base == "MPI_Comm" and arg.pointers == 1:
        return f"PMPI_Comm_f2c(*static_cast<const MPI_Fint*>({ref}))"
    return fortran_value(arg, ref)


def fortran_symbols_for(functions: list[Function], exported: set[str]) -> list[tuple[str, Function]]:
    by_lower = {f.name.lower(): f for f in functions}
    result = []
    for symbol in sorted(exported):
        lower = symbol.lower()
        for suffix, c_suffix in FORTRAN_VARIANTS:
            if suffix and not lower.endswith(suffix):
                continue
            stem = lower[: len(lower) - len(suffix)] if suffix else lower
            if suffix == "" and symbol != lower and symbol != symbol.upper():
                continue  # mixed-case internal aliases such as MPI_Send_f08
            f = by_lower.get(stem + c_suffix)
            if f is None:
                continue
            if suffix == "" and symbol not in (stem, stem.upper()):
                continue
            if suffix in ("_", "__") and symbol != lower:
                continue
            result.append((symbol, f))
            break
    return result


# Fortran bindings whose arguments are not the C ones by reference: (argument names, has ierror).
FORTRAN_SIGNATURES = {
    "MPI_Init": ([], True),
    "MPI_Init_thread": (["required", "provided"], True),
    "MPI_Pcontrol": (["level"], False),
}


def fortran_signature(f: Function) -> tuple[list[str], list[str]]:
    """(parameter declarations, forwarded names) of the Fortran binding of `f`: every C argument by
    reference, then ierror, then one hidden length per character argument."""
    if f.name in FORTRAN_SIGNATURES:
        names, has_ierror = FORTRAN_SIGNATURES[f.name]
        params = [f"void* {n}" for n in names] + (["void* ierror"] if has_ierror else [])
    else:
        params = [f"void* a{i}" for i in range(len(f.args))] + ["void* ierror"]
        params += [f"std::size_t len{i}" for i, a in enumerate(f.args) if a.is_char]
    forwarded = [p.split()[-1] for p in params]
    return params, forwarded


def fortran_wrappable(f: Function) -> bool:
    if f.name in FORTRAN_SIGNATURES:
        return True
    return f.ret == "int" and not f.varargs and f.name not in NOT_WRAPPED


def emit_fortran_wrappers(functions: list[Function], plans: dict[str, Plan], exported: set[str]) -> tuple[str, list[str]]:
    lines = [PRELUDE, "}  // namespace commtune::pmpi::generated", ""]
    lines.append("using namespace commtune::pmpi;")
    lines.append("using namespace commtune::pmpi::generated;")
    lines.append("")
    lines.append("namespace commtune::pmpi::generated {")
    for f in functions:  # declarations of the record functions, defined in wrappers_c.cpp
        p = plans[f.name]
        if p.body:
            lines.append(f"void record_{f.name}({_record_params(f, p)});")
    lines.append("}  // namespace commtune::pmpi::generated")
    lines.append("")
    symbols = []
    for symbol, f in fortran_symbols_for(functions, exported):
        if not fortran_wrappable(f):
            continue
        params, forwarded = fortran_signature(f)
        p = plans[f.name]
        typedef = "void (*)(" + ", ".join(p_.rsplit(" ", 1)[0] for p_ in params) + ")"
        symbols.append(symbol)
        if f.name in HAND_WRITTEN:
            lines.append(f"// template: hand_written (runtime/fortran.cpp)")
            lines.append(f'extern "C" COMMTUNE_EXPORT void {symbol}({", ".join(params)}) {{')
            lines.append(f'  static const auto real = reinterpret_cast<{typedef}>(fortran::resolve("{symbol}"));')
            binding = "fortran::Binding::F08" if "_f08" in symbol.lower() else "fortran::Binding::Legacy"
            lines.append(f"  fortran::{f.name[4:].lower()}({binding}, __builtin_return_address(0), real, {', '.join(forwarded)});")
            lines.append("}")
            lines.append("")
            continue
        by_name = {a.name: (i, a) for i, a in enumerate(f.args)}
        conversions = []
        convertible = True
        for name in p.uses:
            i, arg = by_name[name]
            if arg.base == "MPI_Status":
                conversions.append(f"fortran::status_to_c(a{i}, &status_c)")
                continue
            value = fortran_value(arg, f"a{i}")
            if value is None:
                convertible = False
                break
            conversions.append(value)
        template = p.template if convertible else "count_only"
        lines.append(f"// template: {template} (Fortran)")
        lines.append(f'extern "C" COMMTUNE_EXPORT void {symbol}({", ".join(params)}) {{')
        lines.append(f'  static const auto real = reinterpret_cast<{typedef}>(fortran::resolve("{symbol}"));')
        lines.append(f"  CallScope call(FunctionId::{f.name}, __builtin_return_address(0));")
        if p.status and convertible:
            i = by_name[p.status][0]
            lines.append("  fortran::StatusBuffer status_if_ignored;")
            lines.append(f"  if (fortran::is_status_ignore(a{i})) a{i} = status_if_ignored.data();")
        probe = [fortran_value(by_name[name][1], f"a{by_name[name][0]}") for name in p.probe or []]
        probing = convertible and bool(probe) and None not in probe
        if probing:
            lines.append(f"  const bool arrived_ = message_arrived(call, {', '.join(probe)});")
        if f.name in BEFORE_CALL:
            lines.append(f"  {BEFORE_CALL[f.name]}")
        lines.append(f"  real({', '.join(forwarded)});")
        lines.append("  call.stop();")
        lines += [f"  {t}" for t in trace_statements(f, p, lambda arg: fortran_trace_value(f, arg),
                                                     "fortran::succeeded(ierror)", None)]
        if p.body and convertible:
            if p.status:
                lines.append("  MPI_Status status_c;")
            lines.append(f"  if (call.recording() && fortran::succeeded(ierror)) {{")
            if p.probe:
                conversions.append("arrived_" if probing else "true")
            lines.append(f"    record_{f.name}(call, {', '.join(conversions)});")
            lines.append("  }")
        lines.append("}")
        lines.append("")
    return "\n".join(lines), symbols


def emit_exports(c_symbols: list[str], fortran: list[str]) -> str:
    names = sorted(set(c_symbols) | set(fortran))
    return "{\n  global:\n" + "".join(f"    {n};\n" for n in names) + "  local:\n    *;\n};\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preprocessed", required=True, type=pathlib.Path, help="mpi.h after the C preprocessor")
    parser.add_argument("--c-symbols", type=pathlib.Path, help="symbols the C MPI libraries export")
    parser.add_argument("--fortran-symbols", type=pathlib.Path, help="symbols the Fortran MPI libraries export")
    parser.add_argument("--output-dir", required=True, type=pathlib.Path)
    options = parser.parse_args(argv)

    functions = parse_header(options.preprocessed.read_text())
    if not any(f.name == "MPI_Send" for f in functions):
        print(f"mpiwrap.py: no MPI_Send in {options.preprocessed}: is it a preprocessed mpi.h?", file=sys.stderr)
        return 1
    if options.c_symbols:
        # A function mpi.h declares but the C library does not implement (MPICH declares some
        # Fortran-status conversions that live in its Fortran library, or nowhere) cannot be
        # called by a C program and cannot be forwarded by us.
        c_symbols = set(options.c_symbols.read_text().split())
        for f in functions:
            if f.pmpi not in c_symbols and f.name not in NOT_WRAPPED:
                NOT_WRAPPED[f.name] = f"mpi.h declares it but the C MPI library does not export {f.pmpi}"
    plans = {f.name: plan(f) for f in functions}
    exported = set()
    if options.fortran_symbols and options.fortran_symbols.exists():
        exported = {line.strip() for line in options.fortran_symbols.read_text().splitlines() if line.strip()}

    out = options.output_dir
    out.mkdir(parents=True, exist_ok=True)
    fortran_text, fortran_symbols = emit_fortran_wrappers(functions, plans, exported)
    wrapped = [f.name for f in functions if f.name not in NOT_WRAPPED]
    outputs = {
        "functions.hpp": emit_functions_header(functions, plans),
        "wrappers_c.cpp": emit_c_wrappers(functions, plans),
        "wrappers_fortran.cpp": fortran_text,
        "exports.map": emit_exports(wrapped, fortran_symbols),
        "wrapped.txt": "\n".join(wrapped) + "\n",
        "not_wrapped.txt": "".join(f"{name}\t{reason}\n" for name, reason in sorted(NOT_WRAPPED.items())),
    }
    for name, text in outputs.items():
        path = out / name
        if not path.exists() or path.read_text() != text:  # keep timestamps: no needless rebuilds
            path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
