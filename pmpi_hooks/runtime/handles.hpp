// An MPI handle as an integer key for the library's tables: Open MPI's handles are pointers,
// MPICH's are integers.
#pragma once

#include <cstdint>
#include <type_traits>

namespace commtune::pmpi {

template <class Handle>
std::uintptr_t handle_key(Handle handle) noexcept {
  if constexpr (std::is_pointer_v<Handle>) {
    return reinterpret_cast<std::uintptr_t>(handle);
  } else {
    return static_cast<std::uintptr_t>(static_cast<std::uint32_t>(handle));
  }
}

}  // namespace commtune::pmpi
