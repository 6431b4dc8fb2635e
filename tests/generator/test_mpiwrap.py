"""Tests of the wrapper generator, without MPI: parsing, classification, templates, Fortran names.

With COMMTUNE_PREPROCESSED_MPI_H set (ctest sets it to the build's preprocessed mpi.h), the plan
of every function of the real header is checked too.
"""

import os
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "pmpi_hooks" / "generator"))
import mpiwrap  # noqa: E402

SYNTHETIC_HEADER = """
typedef struct ompi_communicator_t *MPI_Comm;
typedef int (MPI_Comm_copy_attr_function)(MPI_Comm, int, void *, void *, void *, int *);
struct ompi_status_public_t { int MPI_SOURCE; int MPI_TAG; int MPI_ERROR; };
__attribute__((visibility("default"))) int MPI_Send(const void *buf, int count, MPI_Datatype datatype, int dest,
    int tag, MPI_Comm comm);
int PMPI_Send(const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm);
int MPI_Isend(const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm, MPI_Request *request);
int MPI_Recv(void *buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm, MPI_Status *status)
    __attribute__((pointer_with_type_tag(MPI,1,3)));
int MPI_Irecv(void *buf, int count, MPI_Datatype datatype, int source, int tag, MPI_Comm comm, MPI_Request *request);
int MPI_Mrecv(void *buf, int count, MPI_Datatype type, MPI_Message *message, MPI_Status *status);
int MPI_Send_init(const void *buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
    MPI_Request *request);
int MPI_Sendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest, int sendtag, void *recvbuf,
    int recvcount, MPI_Datatype recvtype, int source, int recvtag, MPI_Comm comm, MPI_Status *status);
int MPI_Allreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op, MPI_Comm comm);
int MPI_Ialltoallv_c(const void *sendbuf, const MPI_Count sendcounts[], const MPI_Aint sdispls[],
    MPI_Datatype sendtype, void *recvbuf, const MPI_Count recvcounts[], const MPI_Aint rdispls[],
    MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request);
int MPI_Gather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf, int recvcount,
    MPI_Datatype recvtype, int root, MPI_Comm comm);
int MPI_Put(const void *origin_addr, int origin_count, MPI_Datatype origin_datatype, int target_rank,
    MPI_Aint target_disp, int target_count, MPI_Datatype target_datatype, MPI_Win win);
int MPI_File_write_at(MPI_File fh, MPI_Offset offset, const void *buf, int count, MPI_Datatype datatype,
    MPI_Status *status);
int MPI_Comm_rank(MPI_Comm comm, int *rank);
int MPI_Comm_set_name(MPI_Comm comm, const char *comm_name);
int MPI_Group_range_incl(MPI_Group group, int n, int ranges[][3], MPI_Group *newgroup);
int MPI_Init(int *argc, char ***argv);
int MPI_Pcontrol(const int level, ...);
double MPI_Wtime(void);
MPI_Comm MPI_Comm_f2c(int comm);
int MPI_Type_create_keyval(MPI_Type_copy_attr_function *type_copy_attr_fn, void *extra_state);
int QMPI_Send(int x);
"""


class ParseTest(unittest.TestCase):
    def setUp(self):
        self.functions = {f.name: f for f in mpiwrap.parse_header(SYNTHETIC_HEADER)}

    def test_finds_mpi_functions_only(self):
        self.assertIn("MPI_Send", self.functions)
        self.assertNotIn("PMPI_Send", self.functions)
        self.assertNotIn("QMPI_Send", self.functions)
        self.assertNotIn("MPI_Comm_copy_attr_function", self.functions)

    def test_arguments_names_and_types(self):
        send = self.functions["MPI_Send"]
        self.assertEqual([a.name for a in send.args], ["buf", "count", "datatype", "dest", "tag", "comm"])
        self.assertEqual(send.args[0].base, "void")
        self.assertEqual(send.args[0].pointers, 1)
        self.assertEqual(send.ret, "int")

    def test_attributes_after_prototype_are_ignored(self):
        self.assertEqual(len(self.functions["MPI_Recv"].args), 7)

    def test_array_arguments_keep_their_declarator(self):
        ranges = self.functions["MPI_Group_range_incl"].args[2]
        self.assertEqual(ranges.name, "ranges")
        self.assertIn("[][3]", ranges.text)
        self.assertTrue(ranges.array)

    def test_varargs_void_and_non_int_returns(self):
        self.assertTrue(self.functions["MPI_Pcontrol"].varargs)
        self.assertEqual(self.functions["MPI_Wtime"].args, [])
        self.assertEqual(self.functions["MPI_Wtime"].ret, "double")
        self.assertEqual(self.functions["MPI_Comm_f2c"].ret, "MPI_Comm")


class PlanTest(unittest.TestCase):
    def setUp(self):
        self.functions = {f.name: f for f in mpiwrap.parse_header(SYNTHETIC_HEADER)}

    def plan(self, name):
        return mpiwrap.plan(self.functions[name])

    def test_point_to_point(self):
        self.assertEqual(self.plan("MPI_Send").template, "p2p_send")
        self.assertIn("peer_bytes(dest, count, datatype)", " ".join(self.plan("MPI_Send").body))
        self.assertEqual(self.plan("MPI_Irecv").template, "p2p_irecv")
        self.assertEqual(self.plan("MPI_Send_init").template, "p2p_send_init")
        recv = self.plan("MPI_Recv")
        self.assertEqual(recv.template, "p2p_recv")
        self.assertEqual(recv.status, "status")  # substituted when the caller ignores it

    def test_send_payloads_are_offered_to_the_compressibility_sampler(self):
        for name, buf in (("MPI_Send", "buf"), ("MPI_Isend", "buf"), ("MPI_Sendrecv", "sendbuf")):
            plan = self.plan(name)
            self.assertIn(buf, plan.uses, name)
            self.assertIn(f"payload::consider(call.site(), {buf}, ", " ".join(plan.body), name)
        for name in ("MPI_Recv", "MPI_Irecv", "MPI_Send_init", "MPI_Allreduce"):
            self.assertNotIn("payload::consider", " ".join(self.plan(name).body), name)

    def test_open_mpi_names_the_mrecv_datatype_type(self):
        self.assertEqual(self.plan("MPI_Mrecv").template, "p2p_recv")

    def test_sendrecv_counts_both_directions(self):
        plan = self.plan("MPI_Sendrecv")
        body = " ".join(plan.body)
        self.assertIn("add_message(peers::world_rank(comm, dest), peer_bytes(dest, sendcount, sendtype))", body)
        self.assertIn("received_bytes(status)", body)
        self.assertIn("note_receive_wait(arrived_, bytes)", body)
        self.assertEqual(plan.probe, ["source", "recvtag", "comm"])  # the receive half is probed first

    def test_blocking_calls_say_what_they_wait_for(self):
        kinds = {name: mpiwrap.wait_kind(self.functions[name], self.plan(name))
                 for name in ["MPI_Recv", "MPI_Send", "MPI_Isend", "MPI_Allreduce", "MPI_Ialltoallv_c", "MPI_Mrecv",
                              "MPI_Comm_rank"]}
        self.assertEqual(kinds, {"MPI_Recv": "late_sender", "MPI_Send": "late_receiver", "MPI_Isend": "none",
                                 "MPI_Allreduce": "collective", "MPI_Ialltoallv_c": "none", "MPI_Mrecv": "none",
                                 "MPI_Comm_rank": "none"})

    def test_every_request_is_followed_to_completion(self):
        self.assertIn("track_request(*request, call, RequestKind::Send);", self.plan("MPI_Isend").body)
        self.assertIn("track_request(*request, call, RequestKind::Recv);", self.plan("MPI_Irecv").body)
        self.assertFalse(any("track_request" in s for s in self.plan("MPI_Recv").body))

    def test_collectives_follow_the_table(self):
        allreduce = self.plan("MPI_Allreduce")
        self.assertEqual(allreduce.template, "collective")
        self.assertIn("call.add_sent(type_bytes(count, datatype));", allreduce.body)
        gather = " ".join(self.plan("MPI_Gather").body)
        self.assertIn("rooted_role(root, comm)", gather)
        self.assertIn("n * type_bytes(recvcount, recvtype)", gather)

    def test_nonblocking_large_count_collective_counts_when_it_starts(self):
        plan = self.plan("MPI_Ialltoallv_c")
        self.assertEqual(plan.template, "collective")
        self.assertIn("sum_bytes(sendcounts, n, sendtype)", " ".join(plan.body))
        # counted when it starts; followed to completion only for its lifetime
        self.assertIn("track_request(*request, call, RequestKind::Other);", plan.body)

    def test_one_sided_and_io(self):
        self.assertEqual(self.plan("MPI_Put").template, "rma")
        self.assertIn("call.add_sent(target_rank == MPI_PROC_NULL ? 0 : type_bytes(origin_count, origin_datatype));",
                      self.plan("MPI_Put").body)
        self.assertEqual(self.plan("MPI_File_write_at").template, "file_io")

    def test_everything_else_is_counted_and_timed_only(self):
        self.assertEqual(self.plan("MPI_Comm_rank").template, "count_only")
        self.assertEqual(self.plan("MPI_Comm_rank").body, [])


CATEGORY_HEADER = """
int MPI_Psend_init(const void *buf, int partitions, MPI_Count count, MPI_Datatype datatype, int dest, int tag,
    MPI_Comm comm, MPI_Info info, MPI_Request *request);
int MPI_Precv_init(void *buf, int partitions, MPI_Count count, MPI_Datatype datatype, int source, int tag,
    MPI_Comm comm, MPI_Info info, MPI_Request *request);
int MPI_Pready(int partition, MPI_Request request);
int MPI_Pready_range(int partition_low, int partition_high, MPI_Request request);
int MPI_Pready_list(int length, const int array_of_partitions[], MPI_Request request);
int MPI_Parrived(MPI_Request request, int partition, int *flag);
int MPI_Iprobe(int source, int tag, MPI_Comm comm, int *flag, MPI_Status *status);
int MPI_Waitall(int count, MPI_Request array_of_requests[], MPI_Status array_of_statuses[]);
int MPI_Win_fence(int assert, MPI_Win win);
int MPI_Register_datarep(const char *datarep, MPI_Datarep_conversion_function *read_conversion_fn,
    MPI_Datarep_conversion_function *write_conversion_fn, MPI_Datarep_extent_function *dtype_file_extent_fn,
    void *extra_state);
"""


class CategoryTest(unittest.TestCase):
    """kFunctionCategories, the one list of categories (docs/profile.md) the runtime, the trace and
    the report read."""

    def test_every_function_gets_its_category(self):
        functions = mpiwrap.parse_header(SYNTHETIC_HEADER + CATEGORY_HEADER)
        categories = {f.name: mpiwrap.category(f, mpiwrap.plan(f)) for f in functions}
        expected = {
            "MPI_Send": "p2p", "MPI_Isend": "p2p", "MPI_Recv": "p2p", "MPI_Irecv": "p2p", "MPI_Mrecv": "p2p",
            "MPI_Send_init": "p2p", "MPI_Sendrecv": "p2p", "MPI_Iprobe": "p2p",
            "MPI_Psend_init": "p2p", "MPI_Precv_init": "p2p", "MPI_Pready": "p2p", "MPI_Pready_range": "p2p",
            "MPI_Pready_list": "p2p", "MPI_Parrived": "p2p",
            "MPI_Allreduce": "collective", "MPI_Ialltoallv_c": "collective", "MPI_Gather": "collective",
            "MPI_Put": "rma", "MPI_Win_fence": "rma", "MPI_File_write_at": "io", "MPI_Register_datarep": "io",
            "MPI_Waitall": "completion", "MPI_Init": "lifecycle", "MPI_Comm_rank": "other", "MPI_Wtime": "other",
        }
        self.assertEqual({name: categories[name] for name in expected}, expected)

    def test_the_generated_table_holds_them(self):
        functions = mpiwrap.parse_header(SYNTHETIC_HEADER + CATEGORY_HEADER)
        plans = {f.name: mpiwrap.plan(f) for f in functions}
        header = mpiwrap.emit_functions_header(functions, plans)
        table = header.split("kFunctionCategories = {{")[1].split("}};")[0].split()
        index = [f.name for f in functions].index("MPI_Pready")
        self.assertEqual(table[index], '"p2p",')


class FortranTest(unittest.TestCase):
    def setUp(self):
        self.functions = mpiwrap.parse_header(SYNTHETIC_HEADER)

    def test_every_mangling_maps_to_its_c_function(self):
        exported = {"mpi_send", "mpi_send_", "mpi_send__", "MPI_SEND", "mpi_send_f08_", "mpi_send_f08ts_",
                    "pmpi_send_", "MPI_Send_f08", "MPI_Send_f", "ompi_send_f", "mpi_irecv_"}
        mapped = {symbol: f.name for symbol, f in mpiwrap.fortran_symbols_for(self.functions, exported)}
        for symbol in ("mpi_send", "mpi_send_", "mpi_send__", "MPI_SEND", "mpi_send_f08_", "mpi_send_f08ts_"):
            self.assertEqual(mapped.get(symbol), "MPI_Send", symbol)
        self.assertEqual(mapped.get("mpi_irecv_"), "MPI_Irecv")
        for internal in ("pmpi_send_", "MPI_Send_f08", "MPI_Send_f", "ompi_send_f"):
            self.assertNotIn(internal, mapped)

    def test_large_count_f08_symbols_map_to_the_c_variant(self):
        mapped = dict((s, f.name) for s, f in mpiwrap.fortran_symbols_for(self.functions, {"mpi_ialltoallv_f08ts_large_"}))
        self.assertEqual(mapped, {"mpi_ialltoallv_f08ts_large_": "MPI_Ialltoallv_c"})

    def test_signature_adds_ierror_and_hidden_string_lengths(self):
        by_name = {f.name: f for f in self.functions}
        params, forwarded = mpiwrap.fortran_signature(by_name["MPI_Comm_set_name"])
        self.assertEqual(params, ["void* a0", "void* a1", "void* ierror", "std::size_t len1"])
        self.assertEqual(forwarded, ["a0", "a1", "ierror", "len1"])

    def test_init_and_pcontrol_have_their_own_fortran_signatures(self):
        by_name = {f.name: f for f in self.functions}
        self.assertEqual(mpiwrap.fortran_signature(by_name["MPI_Init"])[0], ["void* ierror"])
        self.assertEqual(mpiwrap.fortran_signature(by_name["MPI_Pcontrol"])[0], ["void* level"])
        self.assertFalse(mpiwrap.fortran_wrappable(by_name["MPI_Wtime"]))


@unittest.skipUnless(os.environ.get("COMMTUNE_PREPROCESSED_MPI_H"), "needs the build's preprocessed mpi.h")
class RealHeaderTest(unittest.TestCase):
    """Every data-moving function of the installed MPI gets a template that counts its bytes."""

    def setUp(self):
        text = pathlib.Path(os.environ["COMMTUNE_PREPROCESSED_MPI_H"]).read_text()
        self.functions = {f.name: f for f in mpiwrap.parse_header(text)}

    def test_header_is_complete(self):
        self.assertGreater(len(self.functions), 300)
        for name in ("MPI_Send", "MPI_Allreduce", "MPI_Put", "MPI_File_read", "MPI_Neighbor_alltoallw"):
            self.assertIn(name, self.functions)

    def test_no_data_moving_function_falls_back_to_counting_only(self):
        silent = []
        for name, function in self.functions.items():
            base, _ = mpiwrap.base_name(name)
            moves_data = (base in mpiwrap.P2P_SEND or base in mpiwrap.COLLECTIVES or base in mpiwrap.RMA
                          or base in {"Recv", "Sendrecv", "Sendrecv_replace"})
            if moves_data and name not in mpiwrap.HAND_WRITTEN and mpiwrap.plan(function).template == "count_only":
                silent.append(name)
        self.assertEqual(silent, [])

    def test_generated_c_wrappers_call_their_pmpi_twin(self):
        plans = {name: mpiwrap.plan(f) for name, f in self.functions.items()}
        text = mpiwrap.emit_c_wrappers(list(self.functions.values()), plans)
        for name in self.functions:
            if name in mpiwrap.HAND_WRITTEN or name in mpiwrap.NOT_WRAPPED:
                self.assertNotIn(f" {name}(", text.replace(f"P{name}(", ""), name)
            else:
                self.assertIn(f"P{name}(", text, name)


if __name__ == "__main__":
    unittest.main()
