// The library is built with hidden visibility; only the MPI entry points we define are exported
// (and the linker version script generated beside the wrappers says exactly which).
#pragma once

#define COMMTUNE_EXPORT __attribute__((visibility("default")))
