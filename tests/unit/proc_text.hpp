// Reading /proc files in tests.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

namespace runagents::platform::testing {

// The text of a /proc file, empty when the process is gone: libstdc++'s filebuf throws when
// read() fails, as it does (ESRCH) for a process that is exiting.
inline std::string read_proc_text(const std::string& path) {
  try {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  } catch (const std::ios_base::failure&) {
    return {};
  }
}

}  // namespace runagents::platform::testing
