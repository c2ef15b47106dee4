// Buffer: a fixed-capacity read buffer of one connection. Bytes are read in at end(), parsed
// from begin(); the region before floor() holds a request head whose views are still in use.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace portcullis::proxy {

class Buffer {
 public:
  explicit Buffer(std::size_t capacity)
      : data_(std::make_unique_for_overwrite<char[]>(capacity)), cap_(capacity) {}

  // Unparsed bytes.
  std::string_view pending() const noexcept { return {data_.get() + begin_, end_ - begin_}; }
  char* begin_ptr() noexcept { return data_.get() + begin_; }
  std::size_t begin() const noexcept { return begin_; }
  std::size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return begin_ == end_; }

  // Where the next read goes and how much room it has.
  char* write_ptr() noexcept { return data_.get() + end_; }
  std::size_t write_space() const noexcept { return cap_ - end_; }
  void commit(std::size_t n) noexcept { end_ += n; }

  // Marks n pending bytes as used; when nothing is pending, reading restarts at floor().
  void consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = floor_;
  }
  // Bytes before `floor` belong to the request head in use: reads restart at floor when empty.
  void set_floor(std::size_t floor) noexcept { floor_ = floor; }
  std::size_t floor() const noexcept { return floor_; }

  // Moves the pending bytes to the start (floor must be 0): makes room for the next head.
  void compact() noexcept {
    floor_ = 0;
    if (begin_ == 0) return;
    std::size_t n = end_ - begin_;
    if (n) std::memmove(data_.get(), data_.get() + begin_, n);
    begin_ = 0;
    end_ = n;
  }
  std::size_t capacity() const noexcept { return cap_; }
  // Grows the buffer to `capacity` bytes, keeping its contents and offsets. Views into the old
  // storage are invalid afterwards: only for buffers whose bytes nobody holds views into.
  void grow(std::size_t capacity) {
    if (capacity <= cap_) return;
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    std::memcpy(bigger.get(), data_.get(), end_);
    data_ = std::move(bigger);
    cap_ = capacity;
  }

  // In-place chunked decoding writes decoded bytes here, behind begin().
  char* at(std::size_t offset) noexcept { return data_.get() + offset; }
  // Sets the pending window after in-place work.
  void set_window(std::size_t begin, std::size_t end) noexcept {
    begin_ = begin;
    end_ = end;
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t cap_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t floor_ = 0;
};

}  // namespace portcullis::proxy
