// MCP over stdio: one JSON-RPC message per line on stdin, replies and notifications one per line
// on stdout (nothing else is ever written there; logs go to stderr).
//
// A reader (the thread calling run()) parses lines; requests run on an elastic worker pool, so a
// long tool call never delays ping or notifications/cancelled; one writer (server/line_writer.hpp)
// keeps lines whole and never makes a worker wait on a client that does not read: a client that
// stops reading for writer.stall_limit ends the session. On EOF, SIGTERM/SIGINT or such a stall
// in-flight work is cancelled and run() returns within about a second.
#pragma once

#include "server/json_rpc.hpp"
#include "server/line_writer.hpp"
#include "server/mcp_server.hpp"

namespace runagents::mcp {

struct StdioOptions {
  MessageLimits limits;
  int in_fd = 0;
  int out_fd = 1;
  LineWriterLimits writer;
  size_t max_concurrent_calls = 0;  // tools/call running at once; beyond, an isError result
};

// Returns the process exit status (0 on a clean EOF or signal, 1 when the client stopped reading).
int run_stdio(McpServer& server, const StdioOptions& options);

// Splits a byte stream into lines, enforcing the size limit without buffering an oversized line:
// its bytes are dropped and it is reported once as oversized when its newline arrives.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line) : max_line_(max_line) {}
  // Feeds bytes; calls on_line(text) for each complete line, or on_oversized(size) for a line
  // longer than the limit.
  template <class OnLine, class OnOversized>
  void feed(const char* data, size_t n, OnLine on_line, OnOversized on_oversized) {
    for (size_t i = 0; i < n;) {
      const char* nl = static_cast<const char*>(memchr(data + i, '\n', n - i));
      size_t chunk = (nl ? static_cast<size_t>(nl - data) : n) - i;
      append(data + i, chunk);
      i += chunk;
      if (nl) {
        ++i;
        if (oversized_) {
          on_oversized(seen_);
        } else {
          on_line(buffer_);
        }
        buffer_.clear();
        seen_ = 0;
        oversized_ = false;
      }
    }
  }
  // At EOF: the unterminated last line, if any, is still a message.
  template <class OnLine, class OnOversized>
  void finish(OnLine on_line, OnOversized on_oversized) {
    if (oversized_) {
      on_oversized(seen_);
    } else if (!buffer_.empty()) {
      on_line(buffer_);
    }
    buffer_.clear();
    seen_ = 0;
    oversized_ = false;
  }

 private:
  void append(const char* p, size_t n) {
    seen_ += n;
    if (oversized_) return;
    if (buffer_.size() + n > max_line_) {
      oversized_ = true;
      buffer_.clear();
      buffer_.shrink_to_fit();
      return;
    }
    buffer_.append(p, n);
  }

  size_t max_line_;
  std::string buffer_;
  size_t seen_ = 0;
  bool oversized_ = false;
};

}  // namespace runagents::mcp
