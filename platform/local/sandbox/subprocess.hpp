// Runs a host program directly (no shell, no sandbox) and collects its output. For trusted
// helpers only: compiling an agent's sources without running them, probing python3's version.
// Code of an agent never runs this way; it runs in a Sandbox (sandbox.hpp).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace runagents::platform::local {

struct SubprocessResult {
  int exit_code = -1;  // -1 when it could not start or was killed
  bool timed_out = false;
  std::string out;             // stdout, at most 4 MiB kept
  bool out_truncated = false;  // stdout had more than that
  std::string err;             // stderr, at most 4 MiB kept
  std::string start_error;     // why it could not start, empty if it did
};

// Runs argv[0] (an absolute path) with `stdin_data` on its stdin and the environment reduced to
// PATH and LANG. Kills it (SIGKILL) after `timeout`. Never throws for the program's failures.
SubprocessResult run_subprocess(const std::vector<std::string>& argv, const std::string& stdin_data,
                                std::chrono::milliseconds timeout);

}  // namespace runagents::platform::local
