// commtune-sweep-driver --plan PLAN.json --output RESULTS.jsonl [--abort-after S]
// commtune-sweep-driver --calibrate --output CALIBRATION.json
//
// Runs inside one mpirun/srun launched by a sweep: measures every configuration of the plan, in
// order, on all ranks of MPI_COMM_WORLD, and rank 0 appends one result line per configuration
// (formats: commtune/tuner/driver_protocol.hpp), flushed before the next one starts, so that a
// launch that dies keeps what it finished. With --calibrate it measures the latency and bandwidth
// stored with the hardware fingerprint instead (calibrate.hpp). Exit codes: 0 every evaluation
// done (failed ones included), 1 the calibration could not be written, 2 bad command line, plan or
// output file, or fewer than 2 ranks to calibrate (message printed once by rank 0).
#pragma once

namespace commtune::tuner::driver {

// The whole program: initialises MPI, does what the command line asks, finalises MPI and returns
// the exit code. Kernels come from KernelRegistry::instance(), so a test program can add its own
// before calling it.
int run_driver(int argc, char** argv);

}  // namespace commtune::tuner::driver
