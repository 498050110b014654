// libFuzzer: the fast route's request parser (platform/common/plain_request.hpp) against
// cpp-httplib's own. The input is a request as it comes off the socket. Whenever
// parse_plain_post calls it plain, cpp-httplib must read the same request from the same bytes:
// the same method, path and headers (its own REMOTE_ and LOCAL_ entries aside) and, when the body
// is all there, the same body. A head that is not plain is cpp-httplib's alone, so nothing is
// compared then. The parser must never crash or read past its input.
#include <httplib.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "platform/common/plain_request.hpp"

namespace {

constexpr size_t kMaxBody = 4096;

// cpp-httplib's parser, reached through its protected process_request over an in-memory stream.
class Reference : public httplib::Server {
 public:
  Reference() {
    set_payload_max_length(kMaxBody);
    Post("/mcp", [this](const httplib::Request& req, httplib::Response&) {
      body = req.body;
      handled = true;
    });
  }

  bool read(std::string_view data) {
    httplib::detail::BufferStream strm;
    strm.write(data.data(), data.size());
    bool closed = false;
    handled = false;
    process_request(strm, true, closed, [this](httplib::Request& req) { parsed = req; });
    return handled;
  }

  httplib::Request parsed;
  std::string body;
  bool handled = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  httplib::Request ours;
  const auto head = runagents::common::parse_plain_post(input, "/mcp", kMaxBody, ours);
  if (!head) return 0;
  if (head->head_length > input.size() || head->content_length > kMaxBody ||
      input.compare(head->head_length - 4, 4, "\r\n\r\n") != 0) {
    std::abort();
  }

  static Reference reference;
  const bool whole = input.size() >= head->head_length + head->content_length;
  const bool handled = reference.read(input);
  if (whole != handled) std::abort();  // cpp-httplib routes it exactly when its body is there
  if (!handled) return 0;
  httplib::Headers theirs = reference.parsed.headers;
  for (const char* own : {"REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"})
    theirs.erase(own);
  if (reference.parsed.method != ours.method || reference.parsed.path != ours.path ||
      reference.parsed.version != ours.version || theirs != ours.headers ||
      reference.body != input.substr(head->head_length, head->content_length)) {
    std::abort();
  }
  return 0;
}
