// A growable byte buffer that never zero-fills: std::vector<std::byte>::resize() value-initialises,
// which costs as much as the copy it precedes when a buffer is sized to a codec's worst-case bound.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <utility>

namespace commtune::kernels::batching {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  explicit ByteBuffer(std::size_t capacity_bytes) { reserve(capacity_bytes); }
  // A moved-from buffer is empty with no capacity (the defaulted moves would keep the sizes).
  ByteBuffer(ByteBuffer&& other) noexcept
      : storage_(std::move(other.storage_)),
        size_bytes_(std::exchange(other.size_bytes_, 0)),
        capacity_bytes_(std::exchange(other.capacity_bytes_, 0)) {}
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    storage_ = std::move(other.storage_);
    size_bytes_ = std::exchange(other.size_bytes_, 0);
    capacity_bytes_ = std::exchange(other.capacity_bytes_, 0);
    return *this;
  }

  std::byte* data() { return storage_.get(); }
  const std::byte* data() const { return storage_.get(); }
  std::size_t size() const { return size_bytes_; }
  std::size_t capacity() const { return capacity_bytes_; }
  bool empty() const { return size_bytes_ == 0; }
  std::span<const std::byte> view() const { return {storage_.get(), size_bytes_}; }
  std::span<std::byte> span() { return {storage_.get(), size_bytes_}; }

  void clear() { size_bytes_ = 0; }

  // Keeps the contents; new capacity is left uninitialised.
  void reserve(std::size_t capacity_bytes) {
    if (capacity_bytes <= capacity_bytes_) return;
    auto grown = std::make_unique_for_overwrite<std::byte[]>(capacity_bytes);
    if (size_bytes_ != 0) std::memcpy(grown.get(), storage_.get(), size_bytes_);
    storage_ = std::move(grown);
    capacity_bytes_ = capacity_bytes;
  }

  // Sets the size; bytes beyond the old size are uninitialised (the caller is about to write them).
  void resize_uninitialized(std::size_t size_bytes) {
    if (size_bytes > capacity_bytes_) reserve(std::max(size_bytes, capacity_bytes_ + capacity_bytes_ / 2));
    size_bytes_ = size_bytes;
  }

  // Like resize_uninitialized() for a size known to fit (size_bytes <= capacity()): no check, for
  // hot paths that have already made sure.
  void set_size_within_capacity(std::size_t size_bytes) {
    assert(size_bytes <= capacity_bytes_);
    size_bytes_ = size_bytes;
  }

  void append(const void* bytes, std::size_t count) {
    if (size_bytes_ + count > capacity_bytes_) {
      reserve(std::max(size_bytes_ + count, capacity_bytes_ + capacity_bytes_ / 2));
    }
    if (count != 0) std::memcpy(storage_.get() + size_bytes_, bytes, count);
    size_bytes_ += count;
  }

  void assign(std::span<const std::byte> bytes) {
    clear();
    append(bytes.data(), bytes.size());
  }

 private:
  std::unique_ptr<std::byte[]> storage_;
  std::size_t size_bytes_ = 0;
  std::size_t capacity_bytes_ = 0;
};

}  // namespace commtune::kernels::batching
