#include "platform/common/header_lookup.hpp"

namespace runagents::common {

namespace {

constexpr char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

const std::string* find_header(const httplib::Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers)
    if (equal_ignoring_case(key, name)) return &value;
  return nullptr;
}

std::string_view header_value(const httplib::Headers& headers, std::string_view name) {
  const std::string* value = find_header(headers, name);
  return value ? std::string_view(*value) : std::string_view();
}

}  // namespace runagents::common
