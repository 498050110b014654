#include "platform/queries.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "platform/common/clip.hpp"
#include "platform/common/utf8.hpp"

namespace runagents::platform {

void redact_secrets(nlohmann::json& value, const std::vector<std::string>& secrets) {
  if (secrets.empty()) return;
  if (value.is_string()) {
    value = redact_secrets(value.get<std::string>(), secrets);
  } else if (value.is_array()) {
    for (auto& item : value) redact_secrets(item, secrets);
  } else if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto& [key, item] : value.items()) {
      redact_secrets(item, secrets);
      out[redact_secrets(key, secrets)] = std::move(item);
    }
    value = std::move(out);
  }
}

CommandOutputTail::CommandOutputTail(std::vector<std::string> secrets, std::size_t max_bytes,
                                     std::size_t max_lines)
    : secrets_(std::move(secrets)), max_bytes_(max_bytes), max_lines_(max_lines) {}

void CommandOutputTail::append(std::string_view stream, std::string_view chunk) {
  const bool err = stream == "stderr";
  auto it = partial_.find(stream);
  if (it == partial_.end()) it = partial_.emplace(std::string(stream), std::string()).first;
  std::string& partial = it->second;
  partial.append(chunk);
  for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n')) {
    add_line((err ? "[stderr] " : "") + partial.substr(0, nl));
    partial.erase(0, nl + 1);
  }
  // A line longer than the whole tail: keep only its end (the beginning would be dropped anyway).
  if (partial.size() > 4 * max_bytes_) {
    partial = redact_secrets(std::move(partial), secrets_);  // before a cut could halve a secret
    partial = std::string(common::utf8_tail(partial, 2 * max_bytes_));
    truncated_ = true;
  }
}

void CommandOutputTail::add_line(std::string line) {
  line = redact_secrets(std::move(line), secrets_);
  if (line.size() + 1 > max_bytes_) {  // the line alone, with its '\n', fills the tail
    line = std::string(common::utf8_tail(line, std::max<std::size_t>(max_bytes_, 2) - 1));
    truncated_ = true;
  }
  bytes_ += line.size() + 1;
  lines_.push_back(std::move(line));
  while (!lines_.empty() && (lines_.size() > max_lines_ || bytes_ > max_bytes_)) {
    bytes_ -= lines_.front().size() + 1;
    lines_.pop_front();
    truncated_ = true;
  }
}

bool CommandOutputTail::empty() const {
  if (!lines_.empty()) return false;
  for (const auto& [stream, partial] : partial_)
    if (!partial.empty()) return false;
  return true;
}

CommandOutputTail CommandOutputTail::flushed() const {
  CommandOutputTail copy = *this;
  for (auto& [stream, partial] : copy.partial_)
    if (!partial.empty())
      copy.add_line((stream == "stderr" ? "[stderr] " : "") + std::exchange(partial, {}));
  return copy;
}

std::string CommandOutputTail::text() const {
  std::string out;
  for (const auto& line : flushed().lines_) {
    out += line;
    out += '\n';
  }
  return common::to_valid_utf8(out);
}

bool CommandOutputTail::truncated() const {
  return flushed().truncated_;
}

std::string mime_type_for(std::string_view filename) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kTypes = {{
      {".txt", "text/plain"},        {".md", "text/markdown"},      {".log", "text/plain"},
      {".csv", "text/csv"},          {".json", "application/json"}, {".html", "text/html"},
      {".htm", "text/html"},         {".css", "text/css"},          {".js", "text/javascript"},
      {".py", "text/x-python"},      {".sh", "text/x-shellscript"}, {".xml", "application/xml"},
      {".yaml", "application/yaml"}, {".yml", "application/yaml"},  {".png", "image/png"},
      {".jpg", "image/jpeg"},        {".jpeg", "image/jpeg"},       {".gif", "image/gif"},
      {".svg", "image/svg+xml"},     {".pdf", "application/pdf"},   {".zip", "application/zip"},
      {".gz", "application/gzip"},
  }};
  const auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string ext(filename.substr(dot));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [e, type] : kTypes)
    if (e == ext) return std::string(type);
  return "application/octet-stream";
}

}  // namespace runagents::platform
