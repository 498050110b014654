#include "server/json_writer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "platform/common/utf8.hpp"

namespace runagents::mcp {
namespace {

using nlohmann::json;

// 0: copied as is; 1: a control character or one of `"` and `\`; 2: the first byte of a
// multi-byte sequence (or a stray byte), checked with utf8_sequence.
constexpr std::array<unsigned char, 256> kClass = [] {
  std::array<unsigned char, 256> c{};
  for (int b = 0; b < 0x20; ++b) c[b] = 1;
  c['"'] = 1;
  c['\\'] = 1;
  for (int b = 0x80; b < 0x100; ++b) c[b] = 2;
  return c;
}();

void write_escape(std::string& out, unsigned char b) {
  char pair = 0;
  switch (b) {
    case '"':
      pair = '"';
      break;
    case '\\':
      pair = '\\';
      break;
    case '\b':
      pair = 'b';
      break;
    case '\t':
      pair = 't';
      break;
    case '\n':
      pair = 'n';
      break;
    case '\f':
      pair = 'f';
      break;
    case '\r':
      pair = 'r';
      break;
    default:
      break;
  }
  if (pair) {
    const char e[] = {'\\', pair};
    out.append(e, sizeof e);
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const char u[] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xf]};
  out.append(u, sizeof u);
}

// Whether any of the eight bytes of `w` is one kClass does not copy as is: below 0x20, '"', '\\'
// or 0x80 and up (exact for "any"; which one is found byte by byte).
bool word_needs_look(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  const uint64_t quote = w ^ (kOnes * '"');
  const uint64_t backslash = w ^ (kOnes * '\\');
  const uint64_t below_space = w - kOnes * 0x20;
  return ((below_space | w | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) &
          kHighs) != 0;
}

// Writes `s` quoted and escaped; false (with `out` as it was) when `s` is not valid UTF-8. Bytes
// that need nothing are skipped eight at a time and copied in runs.
bool write_string(std::string& out, const std::string& s) {
  const size_t mark = out.size();
  out.reserve(mark + s.size() + 2);
  out.push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t size = s.size();
  size_t run = 0, i = 0;
  while (i < size) {
    for (uint64_t w; i + 8 <= size; i += 8) {
      std::memcpy(&w, p + i, sizeof w);
      if (word_needs_look(w)) break;
    }
    const size_t stop = std::min(size, i + 8);
    while (i < stop && kClass[p[i]] == 0) ++i;
    if (i == stop) continue;
    if (kClass[p[i]] == 2) {
      const size_t n = common::utf8_sequence(s, i);
      if (n == 0) {
        out.resize(mark);
        return false;
      }
      i += n;
      continue;
    }
    out.append(s.data() + run, i - run);
    write_escape(out, p[i]);
    run = ++i;
  }
  out.append(s.data() + run, size - run);
  out.push_back('"');
  return true;
}

template <typename Int>
void write_integer(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// nlohmann's own writer for the values this one does not handle itself.
void write_by_library(std::string& out, const json& value) {
  out += value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

void write_json(std::string& out, const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      out += "null";
      return;
    case json::value_t::boolean:
      out += value.get_ref<const json::boolean_t&>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      write_integer(out, value.get_ref<const json::number_integer_t&>());
      return;
    case json::value_t::number_unsigned:
      write_integer(out, value.get_ref<const json::number_unsigned_t&>());
      return;
    case json::value_t::string:
      if (!write_string(out, value.get_ref<const json::string_t&>())) write_by_library(out, value);
      return;
    case json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const json& item : value) {
        if (!first) out.push_back(',');
        first = false;
        write_json(out, item);
      }
      out.push_back(']');
      return;
    }
    case json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, item] : value.get_ref<const json::object_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        if (!write_string(out, key)) write_by_library(out, json(key));
        out.push_back(':');
        write_json(out, item);
      }
      out.push_back('}');
      return;
    }
    default:  // floating point, binary, discarded
      write_by_library(out, value);
  }
}

}  // namespace runagents::mcp
