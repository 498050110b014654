#include "platform/local/store/row_reader.hpp"

namespace runagents::platform::local {

nlohmann::json json_column(const Row& row, std::size_t column) {
  return nlohmann::json::parse(row.text(column), nullptr, /*allow_exceptions=*/false);
}

nlohmann::json json_column_or(const Row& row, std::size_t column, nlohmann::json fallback) {
  nlohmann::json j = json_column(row, column);
  return j.is_discarded() ? fallback : j;
}

}  // namespace runagents::platform::local
