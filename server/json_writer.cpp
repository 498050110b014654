#include "server/json_writer.hpp"

#include <array>
#include <charconv>

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
  switch (b) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\r':
      out += "\\r";
      return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char u[] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xf]};
      out.append(u, sizeof u);
    }
  }
}

// Writes `s` quoted and escaped; false (with `out` as it was) when `s` is not valid UTF-8.
bool write_string(std::string& out, const std::string& s) {
  const size_t mark = out.size();
  out.push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t run = 0, i = 0;
  while (i < s.size()) {
    const unsigned char kind = kClass[p[i]];
    if (kind == 0) {
      ++i;
      continue;
    }
    if (kind == 2) {
      const size_t n = common::utf8_sequence(s, i);
      if (n == 0) {
        out.resize(mark);
        return false;
      }
      i += n;
      continue;
    }
    out.append(s, run, i - run);
    write_escape(out, p[i]);
    run = ++i;
  }
  out.append(s, run, s.size() - run);
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
