// A trace as an OTF2 archive (OTF2 3.x, read by otf2-print, Vampir, Scalasca, ...): one location
// group per rank, one location per thread, one system-tree node per host, a region per MPI
// function, and the MPI event records: Enter/Leave around every call; MpiSend/MpiRecv inside
// blocking ones; MpiIsend/MpiIsendComplete, MpiIrecvRequest/MpiIrecv and
// NonBlockingCollectiveRequest/Complete by request id; MpiCollectiveBegin/End for collectives.
// Written by one process through OTF2's serial collective callbacks (no MPI needed).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "trace/model.hpp"

namespace commtune::trace {

struct Otf2Result {
  bool ok = false;
  std::string error;             // what failed, when !ok
  std::filesystem::path anchor;  // DIR/traces.otf2, the file to open
  std::uint64_t events = 0;      // event records written, every location together
  std::uint64_t locations = 0;
};

// Writes the archive DIR/traces.otf2 (with DIR/traces.def and DIR/traces/), replacing an archive
// of that name already there.
Otf2Result write_otf2(const Trace& trace, const std::filesystem::path& dir);

}  // namespace commtune::trace
