// run_query's artifacts as resources (tools/query_artifacts.hpp): in memory, and through the data
// dir's task store, where a second store object (another server process on the same data dir)
// reads them, and this one after memory dropped them.
#include "tools/query_artifacts.hpp"

#include <doctest/doctest.h>

#include "platform/local/store/sqlite_task_store.hpp"
#include "server/resource_registry.hpp"
#include "tests/unit/platform_test_support.hpp"

using namespace runagents;
using platform::testing::TempDir;

namespace {

std::vector<platform::QueryArtifact> two_files() {
  platform::QueryArtifact text;
  text.name = "report.txt";
  text.path = "out/report.txt";
  text.mime_type = "text/plain";
  text.data = "the report\n";
  platform::QueryArtifact bin;
  bin.name = "sub/data.bin";
  bin.path = "out/sub/data.bin";
  bin.mime_type = "application/octet-stream";
  bin.data = std::string("\x00\x01\xff", 3);
  return {text, bin};
}

}  // namespace

TEST_SUITE("queries") {
  TEST_CASE(
      "artifacts: another process on the data dir reads them; memory drops, the store keeps") {
    TempDir dir;
    auto store_a = std::make_shared<platform::local::SqliteTaskStore>(dir.path / "platform.db");
    auto store_b = std::make_shared<platform::local::SqliteTaskStore>(dir.path / "platform.db");
    mcp::ResourceRegistry resources_a, resources_b;
    // A budget of 8 bytes: each new query's files push the older ones out of memory.
    auto a = tools::QueryArtifactStore::create(resources_a, 8, store_a);
    auto b = tools::QueryArtifactStore::create(resources_b, 8, store_b);

    auto links = a->add("q_0123456789abcdef", two_files());
    REQUIRE(links.size() == 2);
    const std::string text_uri = links[0]["uri"];
    const std::string bin_uri = links[1]["uri"];
    CHECK(text_uri == "runagents://queries/q_0123456789abcdef/artifacts/report.txt");
    CHECK(bin_uri == "runagents://queries/q_0123456789abcdef/artifacts/sub%2Fdata.bin");

    CHECK(resources_a.read(text_uri)["contents"][0]["text"] == "the report\n");
    // Through the other process's registry: the template, then the task store.
    auto read_b = resources_b.read(text_uri);
    CHECK(read_b["contents"][0]["text"] == "the report\n");
    CHECK(read_b["contents"][0]["mimeType"] == "text/plain");
    CHECK(resources_b.read(bin_uri)["contents"][0]["blob"] == "AAH/");

    // A later query evicts the first from A's memory; A still answers from the store.
    a->add("q_fedcba9876543210", two_files());
    CHECK(resources_a.read(text_uri)["contents"][0]["text"] == "the report\n");

    // Unknown names and queries are not found, with the reason.
    for (const std::string uri : {"runagents://queries/q_0123456789abcdef/artifacts/none.txt",
                                  "runagents://queries/q_nope/artifacts/report.txt"}) {
      CAPTURE(uri);
      try {
        resources_b.read(uri);
        FAIL("read an artifact that does not exist");
      } catch (const mcp::RpcError& e) {
        CHECK(e.code() == mcp::error_code::resource_not_found);
        CHECK(std::string(e.what()).find("kept for 24 hours") != std::string::npos);
      }
    }
  }
}
