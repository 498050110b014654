// Capture of a command's output while it streams: capped as it arrives (head and tail kept, cut
// with platform/common/clip's UTF-8 boundaries) and split into lines for streaming. Internal to
// platform/local.
//
// Not thread-safe: callers serialise access (ExecState holds a mutex around its captures).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "platform/local/sandbox/command.hpp"

namespace runagents::platform::local::detail {

// Keeps the first cap/2 and the last cap/2 bytes of a stream and counts the rest.
class OutputCapture {
 public:
  explicit OutputCapture(std::size_t cap);

  void append(std::string_view data);
  // Everything when total_bytes <= cap; else head, a marker line "[... N bytes omitted ...]", and
  // tail, with the cut moved off any UTF-8 sequence it would split.
  CapturedOutput snapshot() const;

 private:
  std::size_t cap_;
  std::size_t head_cap_;
  std::size_t tail_cap_;
  std::string head_;
  std::string tail_;  // may hold up to 2 * tail_cap_ bytes between trims
  std::uint64_t total_ = 0;
};

// A stream written whole to a file as it arrives, up to a cap (CommandOptions::output_file).
class OutputFile {
 public:
  OutputFile() = default;  // writes nothing
  // Takes `fd` (open for writing; closed here); -1 with `error` when the file could not be made.
  OutputFile(int fd, std::uint64_t cap, std::string error = {});
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Writes what fits under the cap; a failed write (disk full) stops the file, keeping why.
  void write(std::string_view data);
  // Fills in file_bytes and file_error.
  void describe(CapturedOutput& output) const;

 private:
  int fd_ = -1;
  std::uint64_t cap_ = 0;
  std::uint64_t written_ = 0;
  std::string error_;
};

// Splits a byte stream into lines for a LineCallback.
class LineSplitter {
 public:
  static constexpr std::size_t kMaxLine = 64 * 1024;

  LineSplitter(OutputStream stream, const LineCallback* callback)
      : stream_(stream), callback_(callback) {}

  void feed(std::string_view data);
  // Delivers a last line without '\n', if any.
  void finish();

 private:
  void deliver(std::string_view line);

  OutputStream stream_;
  const LineCallback* callback_;  // may be null or empty: then nothing is delivered
  std::string pending_;
};

}  // namespace runagents::platform::local::detail
