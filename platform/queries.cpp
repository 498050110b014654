#include "platform/queries.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace runagents::platform {

std::string redact_secrets(std::string text, const std::vector<std::string>& secrets) {
  static constexpr std::string_view kMask = "[REDACTED]";
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + kMask.size()))
      text.replace(pos, secret.size(), kMask);
  }
  return text;
}

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
