// The fast writer behind serialize() must write exactly what nlohmann's
// dump(-1, ' ', false, replace) writes: for every escape, every kind of UTF-8 (valid, cut short,
// overlong, surrogates, past U+10FFFF), numbers at their limits, and random nested values.
#include "server/json_writer.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <random>

#include "server/json_rpc.hpp"

using namespace runagents::mcp;
using nlohmann::json;

namespace {

// A string literal with its embedded NULs, whatever its length.
template <size_t N>
std::string bytes(const char (&text)[N]) {
  return std::string(text, N - 1);
}

std::string library(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ours(const json& v) {
  std::string out;
  write_json(out, v);
  return out;
}

// A string of random bytes drawn mostly from the ones that need care.
std::string random_bytes(std::mt19937& rng) {
  static const std::string kInteresting =
      bytes("\"\\/\b\f\n\r\t\x01\x1f\x7f a") +
      "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80\xff\x80";
  std::uniform_int_distribution<int> len(0, 24), pick(0, 3), byte(0, 255);
  std::uniform_int_distribution<size_t> at(0, kInteresting.size() - 1);
  std::string s;
  for (int n = len(rng); n > 0; --n) {
    s.push_back(pick(rng) == 0 ? static_cast<char>(byte(rng)) : kInteresting[at(rng)]);
  }
  return s;
}

json random_value(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 3 ? 5 : 7);
  switch (kind(rng)) {
    case 0:
      return nullptr;
    case 1:
      return rng() % 2 == 0;
    case 2:
      return static_cast<std::int64_t>(rng()) - static_cast<std::int64_t>(rng()) * 4096;
    case 3:
      return static_cast<std::uint64_t>(rng()) << 32 | rng();
    case 4:
      return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    case 5:
      return random_bytes(rng);
    case 6: {
      json a = json::array();
      for (int n = rng() % 5; n > 0; --n) a.push_back(random_value(rng, depth + 1));
      return a;
    }
    default: {
      json o = json::object();
      for (int n = rng() % 5; n > 0; --n) o[random_bytes(rng)] = random_value(rng, depth + 1);
      return o;
    }
  }
}

}  // namespace

TEST_CASE("json writer: each escape and each kind of UTF-8 as nlohmann writes it") {
  const std::string cases[] = {
      "",
      "plain text",
      "quote \" backslash \\ slash /",
      bytes("controls \b\f\n\r\t \x01\x02\x1b\x1f and \x7f"),
      bytes("nul \0 inside"),
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      "cut short \xe2\x82",
      "stray \x80 continuation",
      "overlong \xc0\xaf",
      "surrogate \xed\xa0\x80",
      "past max \xf4\x90\x80\x80",
      "\xff",
  };
  for (const std::string& s : cases) {
    CAPTURE(s);
    CHECK(ours(json(s)) == library(json(s)));
    json keyed = {{s, s}};
    CHECK(ours(keyed) == library(keyed));
  }
}

TEST_CASE("json writer: a special byte at every offset of a word, with plain bytes around it") {
  // The writer skips 8 plain bytes at a time: each special must be found wherever it falls.
  const std::string specials[] = {"\"",        "\\",           "\n",
                                  bytes("\0"), "\x1f",         "\x7f",
                                  "\xc3\xa9",  "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                  "\xe2\x82",  "\x80",         " "};
  for (const std::string& special : specials) {
    for (size_t at = 0; at < 20; ++at) {
      std::string s = std::string(at, 'a') + special + std::string(19 - at, 'b');
      CAPTURE(s);
      CHECK(ours(json(s)) == library(json(s)));
    }
  }
}

TEST_CASE("json writer: numbers at their limits") {
  const json values[] = {0,
                         -1,
                         std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max(),
                         std::numeric_limits<std::uint64_t>::max(),
                         0.1,
                         -0.0,
                         1e300,
                         2.5,
                         std::numeric_limits<double>::quiet_NaN(),
                         std::numeric_limits<double>::infinity()};
  for (const json& v : values) CHECK(ours(v) == library(v));
  CHECK(ours(json::binary({1, 2, 3})) == library(json::binary({1, 2, 3})));
}

TEST_CASE("json writer: random nested values match nlohmann byte for byte") {
  std::mt19937 rng(20261128);
  for (int i = 0; i < 3000; ++i) {
    const json v = random_value(rng, 0);
    const std::string expected = library(v);
    CAPTURE(expected);
    REQUIRE(ours(v) == expected);
  }
}

TEST_CASE("json writer: serialize() is the writer, and appends to nothing") {
  json message = {{"jsonrpc", "2.0"}, {"id", 7}, {"result", {{"text", "a\nb"}}}};
  CHECK(serialize(message) == R"({"id":7,"jsonrpc":"2.0","result":{"text":"a\nb"}})");
  std::string out = "prefix:";
  write_json(out, json::array({1, "x"}));
  CHECK(out == R"(prefix:[1,"x"])");
}
