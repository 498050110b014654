#include "tools/schema_files.hpp"

#include <stdexcept>

namespace runagents::tools {

mcp::json load_schema(const std::string& file) {
  const auto& files = schemas::embedded();
  auto it = files.find(file);
  if (it == files.end()) throw std::invalid_argument("no embedded schema schemas/" + file);
  auto parsed = mcp::json::parse(it->second, nullptr, false);
  if (parsed.is_discarded()) throw std::invalid_argument("schemas/" + file + " is not valid JSON");
  return parsed;
}

}  // namespace runagents::tools
