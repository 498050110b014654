// StdioPipes: run_stdio on pipes, driven line by line (tests of the stdio transport).
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <string>

#include "server/json_rpc.hpp"

namespace runagents::mcp::testing {

struct StdioPipes {
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  std::string pending;
  StdioPipes() {
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  }
  ~StdioPipes() {
    for (int fd : {in[0], in[1], out[0], out[1]})
      if (fd >= 0) ::close(fd);
  }
  void send(const json& message) {
    const std::string l = message.dump() + "\n";
    REQUIRE(::write(in[1], l.data(), l.size()) == static_cast<ssize_t>(l.size()));
  }
  // The message answering `id`, skipping others; null when none came within ten seconds.
  json answer(const json& id) {
    for (int i = 0; i < 200; ++i) {
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        json m = json::parse(pending.substr(0, nl));
        pending.erase(0, nl + 1);
        if (m.value("id", json()) == id) return m;
      }
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n > 0) pending.append(buf, static_cast<size_t>(n));
    }
    return nullptr;
  }
  // Sends a 2025-11-25 initialize as id 0 and returns its answer.
  json initialize() {
    send({{"jsonrpc", "2.0"},
          {"id", 0},
          {"method", "initialize"},
          {"params",
           {{"protocolVersion", "2025-11-25"},
            {"capabilities", json::object()},
            {"clientInfo", {{"name", "c"}, {"version", "1"}}}}}});
    return answer(0);
  }
  void end_input() {
    ::close(in[1]);
    in[1] = -1;
  }
};

}  // namespace runagents::mcp::testing
