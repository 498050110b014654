#include "platform/local/agents/python_shim.hpp"

#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

#include "platform/error.hpp"
#include "platform/local/store/identifiers.hpp"

namespace runagents::platform::local {

// Generated from platform/local/agents/python/ by scripts/embed_python_shim.cmake.
const std::map<std::string, std::string_view>& embedded_python_shim();

void install_python_shim(const std::filesystem::path& dir) {
  for (const auto& [relative, text] : embedded_python_shim()) {
    const auto target = dir / relative;
    std::ifstream current(target, std::ios::binary);
    if (current) {
      std::stringstream buf;
      buf << current.rdbuf();
      if (buf.str() == text) continue;
    }
    std::error_code ec;
    std::filesystem::create_directories(target.parent_path(), ec);
    const auto tmp = target.string() + "." + new_id("tmp-");
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
      if (!out)
        throw PlatformError(ErrorKind::unavailable,
                            "cannot install the runagents Python shim "
                            "in " +
                                dir.string() + ": check the data dir is writable");
    }
    std::filesystem::rename(tmp, target, ec);
    if (ec) {
      ::unlink(tmp.c_str());
      throw PlatformError(ErrorKind::unavailable,
                          "cannot install " + target.string() + ": " + ec.message());
    }
  }
}

}  // namespace runagents::platform::local
