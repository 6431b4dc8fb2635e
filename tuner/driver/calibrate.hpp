// The short calibration stored with the hardware fingerprint: latency and bandwidth between two
// ranks at a few message sizes, measured by `commtune-sweep-driver --calibrate`.
#pragma once

#include <mpi.h>

#include "commtune/tuner/fingerprint.hpp"

namespace commtune::tuner::driver {

// Collective over `comm` (at least 2 ranks): rank 0 ping-pongs with the first rank on another
// node, or rank 1 when all share one, at each size of kCalibrationSizes_bytes; the other ranks
// wait. Takes about a second. The result is complete on rank 0.
Calibration measure_calibration(MPI_Comm comm);

}  // namespace commtune::tuner::driver
