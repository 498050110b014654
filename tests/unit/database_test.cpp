// The local database's threads: a read does not wait for another thread's transaction, and sees
// what was committed; the transaction's own thread sees its writes.
#include "platform/local/store/database.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "platform_test_support.hpp"

using runagents::platform::local::Database;
using runagents::platform::testing::TempDir;
using namespace std::chrono_literals;

namespace {

std::int64_t count_rows(Database& db) {
  return db.query("SELECT COUNT(*) FROM t").at(0).integer(0);
}

}  // namespace

TEST_CASE("a SELECT during another thread's transaction reads the last commit without waiting") {
  TempDir dir;
  Database db(dir.path / "platform.db");
  db.execute("CREATE TABLE t (v INTEGER)");
  db.execute("INSERT INTO t (v) VALUES (1)");

  std::atomic<bool> inside{false}, read_done{false}, released{false};
  std::int64_t seen_inside = 0;
  std::thread writer([&] {
    db.transaction([&] {
      db.execute("INSERT INTO t (v) VALUES (2)");
      seen_inside = count_rows(db);
      inside = true;
      auto deadline = std::chrono::steady_clock::now() + 10s;
      while (!read_done && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
      released = true;
    });
  });
  while (!inside) std::this_thread::sleep_for(1ms);
  const std::int64_t seen_outside = count_rows(db);
  const bool waited = released;  // true only if the read had to wait for the commit
  read_done = true;
  writer.join();

  CHECK(seen_inside == 2);   // the transaction's thread sees its own insert
  CHECK(seen_outside == 1);  // another thread sees the last commit...
  CHECK_FALSE(waited);       // ...at once
  CHECK(count_rows(db) == 2);
}
