#include <doctest/doctest.h>

#include <thread>

#include "server/event_stream.hpp"
#include "server/stdio_transport.hpp"

using namespace runagents::mcp;
using namespace std::chrono_literals;

TEST_SUITE("sse") {
  TEST_CASE("events are framed as id, event and one data line") {
    CHECK(format_sse_event("3_1", R"({"a":1})") == "id: 3_1\nevent: message\ndata: {\"a\":1}\n\n");
    CHECK(format_sse_event("", "x") == "event: message\ndata: x\n\n");
  }

  TEST_CASE("event ids name their stream and parse back") {
    auto p = parse_event_id("12_34");
    REQUIRE(p);
    CHECK(p->first == 12);
    CHECK(p->second == 34);
    CHECK_FALSE(parse_event_id("garbage"));
    CHECK_FALSE(parse_event_id("1_"));
    CHECK_FALSE(parse_event_id("_1"));
    CHECK_FALSE(parse_event_id("1_2x"));
  }

  TEST_CASE("a stream delivers in order, ends with the final event and refuses more") {
    EventStream s(4);
    CHECK(s.send({{"n", 1}}));
    CHECK(s.finish({{"n", 2}}));
    CHECK_FALSE(s.send({{"n", 3}}));
    auto a = s.next(0, 10ms);
    REQUIRE(a);
    CHECK(a->seq == 1);
    CHECK_FALSE(a->final);
    auto b = s.next(a->seq, 10ms);
    REQUIRE(b);
    CHECK(b->final);
    CHECK(s.event_id(b->seq) == "4_2");
    CHECK_FALSE(s.next(b->seq, 10ms));
  }

  TEST_CASE("history is replayable after a given sequence number and bounded") {
    EventStream s(1, 3);
    for (int i = 0; i < 5; ++i) s.send({{"n", i}});
    auto first = s.next(0, 1ms);
    REQUIRE(first);
    CHECK(first->seq == 3);  // 1 and 2 fell out of the history
    auto after4 = s.next(4, 1ms);
    REQUIRE(after4);
    CHECK(after4->seq == 5);
  }

  TEST_CASE("a waiting consumer wakes on a new event and on close") {
    EventStream s(1);
    std::thread producer([&] {
      std::this_thread::sleep_for(20ms);
      s.send({{"late", true}});
    });
    auto ev = s.next(0, 5s);
    producer.join();
    REQUIRE(ev);
    std::thread closer([&] {
      std::this_thread::sleep_for(20ms);
      s.close();
    });
    auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(s.next(ev->seq, 5s));
    CHECK(std::chrono::steady_clock::now() - start < 2s);
    closer.join();
  }
}

TEST_SUITE("stdio") {
  TEST_CASE("lines are split, oversized lines reported once without being buffered") {
    LineSplitter split(10);
    std::vector<std::string> lines;
    std::vector<size_t> oversized;
    auto on_line = [&](const std::string& l) { lines.push_back(l); };
    auto on_big = [&](size_t n) { oversized.push_back(n); };
    split.feed("ab\ncd", 5, on_line, on_big);
    split.feed("e\n0123456789ABCDEF", 18, on_line, on_big);
    split.feed("GHIJ\nok\n", 8, on_line, on_big);
    split.finish(on_line, on_big);
    CHECK(lines == std::vector<std::string>{"ab", "cde", "ok"});
    REQUIRE(oversized.size() == 1);
    CHECK(oversized[0] == 20);
  }

  TEST_CASE("an unterminated last line still counts at EOF") {
    LineSplitter split(100);
    std::vector<std::string> lines;
    split.feed("{\"a\":1}", 7, [&](const std::string& l) { lines.push_back(l); }, [](size_t) {});
    split.finish([&](const std::string& l) { lines.push_back(l); }, [](size_t) {});
    CHECK(lines == std::vector<std::string>{"{\"a\":1}"});
  }
}
