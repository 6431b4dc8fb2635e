// Kernel 5, "overlap" (declared in declaration.cpp): communication followed by computation (blocking baseline) against
// the communication posted nonblocking and completed while the computation runs, driven either by MPI_Testall between
// compute chunks or by a progress thread.
//
// Operations: p2p (every rank sends message_bytes to rank+1 and receives from rank-1; blocking:
// MPI_Sendrecv), ibcast (rank 0 broadcasts; blocking: MPI_Bcast), iallreduce (sum of unsigned
// 64-bit integers, exact whatever the reduction order; blocking: MPI_Allreduce).
//
// Each run measures three things in alternation (time_interleaved: options.warmup + options.iterations
// rounds, each phase once per round after a barrier, max over ranks), medians reported:
//   t_comm_pure  the communication alone, done the way the variant does it (blocking call, or
//                post + MPI_Waitall) and without computation;
//   t_compute    the computation alone (all chunks, no MPI calls);
//   t_total      one iteration of the variant: communication and computation (iteration_times_s).
// Overlap, both conventions, from these medians:
//   OSU (osu_iallreduce & co.): overlap_osu_percent = 100 * max(0, 1 - (t_total - t_compute) / t_comm_pure)
//     "how much of the pure communication time disappeared"; can be 0 but not negative.
//   IMB (IMB-NBC, Intel MPI Benchmarks user guide):
//     overlap_imb_percent = 100 * max(0, min(1, (t_comm_pure + t_compute - t_total) / min(t_comm_pure, t_compute)))
//     "time saved relative to the most that could be saved"; equals OSU when compute >= communication.
// Both conventions size the computation to be comparable to the communication (OSU: equal to
// t_pure; IMB: t_CPU = t_pure); here compute_us is a parameter and the ratio is reported as
// compute_over_comm, so the goal "hides >= 85% when compute >= communication" can be checked.
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "commtune/kernels/builtin.hpp"
#include "commtune/kernels/measure.hpp"
#include "commtune/kernels/overlap/overlap.hpp"

namespace commtune::kernels {
namespace {

// A fixed amount of floating-point work per unit, so that a configuration computes the same
// amount whatever else competes for the core (unlike spinning until a deadline).
class ComputeLoad {
 public:
  // Out of line so that every caller runs the same machine code: inlined copies were compiled
  // differently (vectorised in one place, not in another) and ran at different speeds.
  [[gnu::noinline]] void units(std::int64_t count) {
    for (std::int64_t u = 0; u < count; ++u) {
      for (double& x : data_) x = x * 0.9999999 + 1e-7;
    }
    sink_ = data_[0];
  }

  // Units per microsecond, the slowest rank's, so every rank computes for the same time.
  double calibrate(MPI_Comm comm) {
    constexpr std::int64_t kTrialUnits = 2000;
    double best_s = 1e9;
    for (int trial = 0; trial < 5; ++trial) {
      const double start_s = MPI_Wtime();
      units(kTrialUnits);
      best_s = std::min(best_s, MPI_Wtime() - start_s);
    }
    double slowest_s = 0;
    MPI_Allreduce(&best_s, &slowest_s, 1, MPI_DOUBLE, MPI_MAX, comm);
    return double(kTrialUnits) / std::max(slowest_s * 1e6, 1e-9);
  }

 private:
  std::array<double, 256> data_{};
  volatile double sink_ = 0;
};

// The operation measured, blocking or posted nonblocking, on the buffers of one rank: `outgoing`
// is what this rank contributes, `incoming` what the operation delivers.
class Operation {
 public:
  Operation(const std::string& name, std::size_t bytes, MPI_Comm comm) : name_(name), bytes_(bytes), comm_(comm) {
    MPI_Comm_rank(comm, &rank_);
    MPI_Comm_size(comm, &ranks_);
    outgoing_.resize((bytes + 7) / 8);
    incoming_.resize((bytes + 7) / 8);
    fill_pattern(outgoing_.data(), bytes, 0x6f7665726c6170ULL + std::uint64_t(rank_));
    reset();
  }

  // Clears what was delivered; ibcast works in place on `incoming`, the root's copy is the data.
  void reset() {
    std::fill(incoming_.begin(), incoming_.end(), 0);
    if (name_ == "ibcast" && rank_ == 0) std::copy(outgoing_.begin(), outgoing_.end(), incoming_.begin());
  }

  std::span<MPI_Request> post() {
    const int count = static_cast<int>(bytes_);
    if (name_ == "p2p") {
      MPI_Irecv(incoming_.data(), count, MPI_BYTE, left(), 0, comm_, &requests_[0]);
      MPI_Isend(outgoing_.data(), count, MPI_BYTE, right(), 0, comm_, &requests_[1]);
      return {requests_.data(), 2};
    }
    if (name_ == "ibcast") {
      MPI_Ibcast(incoming_.data(), count, MPI_BYTE, 0, comm_, &requests_[0]);
    } else {
      MPI_Iallreduce(outgoing_.data(), incoming_.data(), words(), MPI_UINT64_T, MPI_SUM, comm_, &requests_[0]);
    }
    return {requests_.data(), 1};
  }

  void blocking() {
    const int count = static_cast<int>(bytes_);
    if (name_ == "p2p") {
      MPI_Sendrecv(outgoing_.data(), count, MPI_BYTE, right(), 0, incoming_.data(), count, MPI_BYTE, left(), 0, comm_,
                   MPI_STATUS_IGNORE);
    } else if (name_ == "ibcast") {
      MPI_Bcast(incoming_.data(), count, MPI_BYTE, 0, comm_);
    } else {
      MPI_Allreduce(outgoing_.data(), incoming_.data(), words(), MPI_UINT64_T, MPI_SUM, comm_);
    }
  }

  std::string checksum() const {
    Checksum local;
    local.add(incoming_.data(), bytes_);
    return combine_checksums(local.value(), comm_);
  }

 private:
  int right() const { return (rank_ + 1) % ranks_; }
  int left() const { return (rank_ - 1 + ranks_) % ranks_; }
  int words() const { return static_cast<int>(bytes_ / 8); }

  std::string name_;
  std::size_t bytes_;
  MPI_Comm comm_;
  int rank_ = 0;
  int ranks_ = 1;
  std::vector<std::uint64_t> outgoing_;
  std::vector<std::uint64_t> incoming_;
  std::array<MPI_Request, 2> requests_{MPI_REQUEST_NULL, MPI_REQUEST_NULL};
};

// Overlap by both conventions (see the top of this file), from the phases' medians.
void add_overlap_metrics(double comm_pure_s, double compute_s, double total_s, KernelResult& result) {
  result.metrics["comm_pure_s"] = comm_pure_s;
  result.metrics["compute_s"] = compute_s;
  result.metrics["total_s"] = total_s;
  result.metrics["compute_over_comm"] = comm_pure_s > 0 ? compute_s / comm_pure_s : 0;
  double osu = 0;
  double imb = 0;
  if (comm_pure_s > 0) osu = 100 * std::max(0.0, 1 - (total_s - compute_s) / comm_pure_s);
  if (comm_pure_s > 0 && compute_s > 0) {
    imb = 100 * std::max(0.0, std::min(1.0, (comm_pure_s + compute_s - total_s) / std::min(comm_pure_s, compute_s)));
  }
  result.metrics["overlap_osu_percent"] = osu;
  result.metrics["overlap_imb_percent"] = imb;
}

std::string thread_level_name(int level) {
  return level == MPI_THREAD_MULTIPLE     ? "multiple"
         : level == MPI_THREAD_SERIALIZED ? "serialized"
         : level == MPI_THREAD_FUNNELED   ? "funneled"
                                          : "single";
}

}  // namespace

KernelResult run_overlap(const ParamSet& params, const RunOptions& options, MPI_Comm comm) {
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const bool nonblocking = params.choice("variant") == "nonblocking";
  const bool use_progress_thread = params.boolean("progress_thread");
  const int chunks = static_cast<int>(params.integer("chunks"));
  int thread_level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&thread_level);
  Operation operation(params.choice("operation"), static_cast<std::size_t>(params.integer("message_bytes")), comm);

  ComputeLoad load;
  const double units_per_us = load.calibrate(comm);
  const auto total_units = std::int64_t(std::llround(params.real("compute_us") * units_per_us));
  auto chunk_units = [&](int chunk) {
    // Spread the remainder so the chunks add up to exactly total_units.
    return total_units / chunks + (chunk < total_units % chunks ? 1 : 0);
  };
  auto compute_all = [&] {
    for (int chunk = 0; chunk < chunks; ++chunk) load.units(chunk_units(chunk));
  };

  PollingStats last_polling;
  int last_thread_polls = 0;
  auto overlapped = [&] {
    const std::span<MPI_Request> posted = operation.post();
    if (use_progress_thread) {
      ProgressThread progress(posted);
      compute_all();
      progress.stop();
      last_thread_polls = progress.polls();
      MPI_Waitall(static_cast<int>(posted.size()), posted.data(), MPI_STATUSES_IGNORE);
    } else {
      last_polling = compute_while_polling(posted, chunks, [&](int chunk) { load.units(chunk_units(chunk)); });
    }
  };
  auto comm_alone = [&] {
    if (nonblocking) {
      const std::span<MPI_Request> posted = operation.post();
      MPI_Waitall(static_cast<int>(posted.size()), posted.data(), MPI_STATUSES_IGNORE);
    } else {
      operation.blocking();
    }
  };
  auto iteration = [&] {
    if (nonblocking) {
      overlapped();
    } else {
      operation.blocking();
      compute_all();
    }
  };

  // Interleaved, so that background load on a shared machine hits the three phases alike.
  auto phases = time_interleaved(comm, options, {comm_alone, compute_all, iteration});
  KernelResult result;
  result.iteration_times_s = std::move(phases[2]);

  // Checksum: one more delivery into a cleared buffer.
  operation.reset();
  MPI_Barrier(comm);
  iteration();
  result.checksum = operation.checksum();

  add_overlap_metrics(summarize(phases[0]).median, summarize(phases[1]).median,
                      summarize(result.iteration_times_s).median, result);
  result.metrics["compute_units_per_us"] = units_per_us;
  if (nonblocking && !use_progress_thread) {
    result.metrics["polls_per_iteration"] = last_polling.polls;
    result.metrics["chunks_before_complete"] = last_polling.chunks_before_complete;
  }
  if (use_progress_thread) result.metrics["progress_thread_polls_per_iteration"] = last_thread_polls;
  result.notes["mpi_thread_level"] = thread_level_name(thread_level);
  result.notes["overlap_definitions"] =
      "osu = 100*max(0, 1-(total-compute)/comm_pure); imb = 100*max(0, min(1, (comm_pure+compute-total)/"
      "min(comm_pure, compute))); medians of max-over-ranks times measured in this run";
  if (ranks < 2) result.notes["warning"] = "one rank: the communication is a local copy";
  return result;
}

}  // namespace commtune::kernels
