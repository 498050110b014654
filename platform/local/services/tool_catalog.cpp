#include "platform/local/services/tool_catalog.hpp"

#include <algorithm>
#include <cctype>

#include "platform/local/store/row_reader.hpp"
#include "platform/local/store/timestamps.hpp"
#include "platform/names.hpp"

namespace runagents::platform::local {

namespace {

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Tool tool_from_row(const Row& r) {
  Tool t;
  RowReader(r).read(t.name, t.description, t.base_url, t.auth_type, t.port, t.scheme, t.status,
                    t.created_at, t.updated_at);
  return t;
}

constexpr const char* kToolColumns =
    "name, description, base_url, auth_type, port, scheme, status, created_at, updated_at";

class LocalTools : public ToolService {
 public:
  explicit LocalTools(std::shared_ptr<LocalState> state) : state_(std::move(state)) {}

  std::vector<Tool> list() override { return all_tools(*state_->db); }

  Tool get(const std::string& name) override {
    auto tool = find_tool(*state_->db, name);
    if (!tool)
      throw PlatformError(ErrorKind::not_found, "tool \"" + name +
                                                    "\" not found; list_tools lists registered "
                                                    "tools, create_tool registers one");
    return *tool;
  }

  UpsertResult upsert(const ToolRegistration& tool) override {
    ToolRegistration checked = tool;
    validate_registration(checked, "");
    UpsertResult result;
    state_->db->transaction([&] { result = store_tool(*state_->db, checked); });
    return result;
  }

 private:
  std::shared_ptr<LocalState> state_;
};

}  // namespace

void validate_registration(ToolRegistration& t, const std::string& where) {
  const std::string prefix = where.empty() ? "" : where + ".";
  require_dns_label(t.name, prefix + "name");
  bool http = t.base_url.rfind("http://", 0) == 0 && t.base_url.size() > 7;
  bool https = t.base_url.rfind("https://", 0) == 0 && t.base_url.size() > 8;
  if (!http && !https)
    throw PlatformError(ErrorKind::invalid, prefix + "base_url '" + t.base_url +
                                                "' is not an http(s) URL (e.g. "
                                                "https://api.example.com)");
  while (t.base_url.size() > 8 && t.base_url.back() == '/') t.base_url.pop_back();
  if (t.auth_type.empty()) t.auth_type = "None";
  bool known_auth = false;
  for (const char* a : {"None", "APIKey", "OAuth2"})
    if (iequals(t.auth_type, a)) t.auth_type = a, known_auth = true;
  if (!known_auth)
    throw PlatformError(ErrorKind::invalid,
                        prefix + "auth_type '" + t.auth_type + "' must be None, APIKey or OAuth2");
  if (t.scheme.empty()) t.scheme = https ? "HTTPS" : "HTTP";
  if (iequals(t.scheme, "https"))
    t.scheme = "HTTPS";
  else if (iequals(t.scheme, "http"))
    t.scheme = "HTTP";
  else
    throw PlatformError(ErrorKind::invalid,
                        prefix + "scheme '" + t.scheme + "' must be HTTPS or HTTP");
  if (t.port < 1 || t.port > 65535)
    throw PlatformError(ErrorKind::invalid,
                        prefix + "port " + std::to_string(t.port) + " must be between 1 and 65535");
  if (t.description.size() > 4096)
    throw PlatformError(ErrorKind::invalid, prefix + "description is longer than 4096 characters");
}

std::optional<Tool> find_tool(Database& db, const std::string& name) {
  auto rows =
      db.query(std::string("SELECT ") + kToolColumns + " FROM tools WHERE name = ?1", {name});
  if (rows.empty()) return std::nullopt;
  return tool_from_row(rows[0]);
}

std::vector<Tool> all_tools(Database& db) {
  std::vector<Tool> out;
  for (const auto& r :
       db.query(std::string("SELECT ") + kToolColumns + " FROM tools ORDER BY name"))
    out.push_back(tool_from_row(r));
  return out;
}

ToolService::UpsertResult store_tool(Database& db, const ToolRegistration& t) {
  const std::string now = now_timestamp();
  ToolService::UpsertResult result;
  result.created = !find_tool(db, t.name).has_value();
  db.execute(
      "INSERT INTO tools (name, description, base_url, auth_type, port, scheme, status, "
      "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'Available', ?7, ?7) "
      "ON CONFLICT (name) DO UPDATE SET description = ?2, base_url = ?3, auth_type = ?4, "
      "port = ?5, scheme = ?6, updated_at = ?7",
      {t.name, t.description, t.base_url, t.auth_type, std::int64_t{t.port}, t.scheme, now});
  result.tool = *find_tool(db, t.name);
  return result;
}

std::shared_ptr<ToolService> make_local_tools(std::shared_ptr<LocalState> state) {
  return std::make_shared<LocalTools>(std::move(state));
}

}  // namespace runagents::platform::local
