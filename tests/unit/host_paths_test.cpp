// tools/host_paths: a path a client names resolves inside an allowed directory or is refused.
#include "tools/host_paths.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include "platform/error.hpp"
#include "platform_test_support.hpp"

using runagents::platform::ErrorKind;
using runagents::platform::PlatformError;
using runagents::platform::testing::TempDir;
using runagents::tools::resolve_in_roots;
namespace fs = std::filesystem;

TEST_SUITE("tools") {
  TEST_CASE("host paths: inside a root yes; outside, by .. or through a link, no") {
    TempDir t;
    const fs::path root = fs::canonical(t.path) / "root";
    fs::create_directories(root / "proj");
    fs::create_directories(t.path / "other");
    fs::create_directory_symlink(t.path / "other", root / "escape");
    fs::create_directory_symlink(root / "proj", root / "alias");
    const std::vector<fs::path> roots{root};

    CHECK(resolve_in_roots(roots, (root / "proj").string(), true) == root / "proj");
    CHECK(resolve_in_roots(roots, "proj", true) == root / "proj");   // relative to the root
    CHECK(resolve_in_roots(roots, "alias", true) == root / "proj");  // a link that stays inside
    CHECK(resolve_in_roots(roots, root.string(), true) == root);     // the root itself

    auto kind_of = [&](const std::string& p, bool stdio) {
      try {
        resolve_in_roots(roots, p, stdio);
      } catch (const PlatformError& e) {
        return std::make_pair(e.kind(), std::string(e.what()));
      }
      FAIL("not refused: " << p);
      return std::make_pair(ErrorKind::internal, std::string());
    };
    for (const std::string p :
         {std::string("escape"), std::string("proj/../../other"), (t.path / "other").string()}) {
      CAPTURE(p);
      auto [kind, what] = kind_of(p, true);
      CHECK(kind == ErrorKind::forbidden);
      CHECK(what.find("outside the directories") != std::string::npos);
      CHECK(what.find(root.string()) != std::string::npos);
    }
    CHECK(kind_of("escape", false).second.find("over HTTP") != std::string::npos);
    CHECK(kind_of("missing", true).first == ErrorKind::invalid);
    CHECK(kind_of("", true).first == ErrorKind::invalid);
    // No root at all (HTTP without --allow-path): every absolute path is outside.
    try {
      resolve_in_roots({}, (root / "proj").string(), false);
      FAIL("not refused");
    } catch (const PlatformError& e) {
      CHECK(std::string(e.what()).find("(none)") != std::string::npos);
    }
  }
}
