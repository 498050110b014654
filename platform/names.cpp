#include "platform/names.hpp"

#include <cctype>

#include "platform/error.hpp"

namespace runagents::platform {

namespace {

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Lower-cases, turns anything else into '-', collapses and trims dashes, cuts to 63.
std::string suggest(std::string_view name) {
  std::string out;
  for (char c : name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (alnum(l)) {
      out += l;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace

bool is_dns_label(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  for (char c : name)
    if (!alnum(c) && c != '-') return false;
  return true;
}

void require_dns_label(std::string_view name, std::string_view what) {
  if (is_dns_label(name)) return;
  std::string message = std::string(what) + " '" + std::string(name) +
                        "' is not valid: use 1-63 lower-case letters, digits and '-', starting "
                        "and ending with a letter or digit";
  std::string better = suggest(name);
  if (!better.empty()) message += " (e.g. '" + better + "')";
  throw PlatformError(ErrorKind::invalid, message);
}

}  // namespace runagents::platform
