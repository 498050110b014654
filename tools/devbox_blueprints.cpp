#include "tools/devbox_blueprints.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "platform/common/utf8.hpp"
#include "tools/list_results.hpp"
#include "tools/result_limits.hpp"

namespace runagents::tools {

namespace {

using json = mcp::json;
using platform::ErrorKind;
using platform::PlatformError;

bool building(const platform::Blueprint& bp) {
  return bp.status == "queued" || bp.status == "provisioning" || bp.status == "building" ||
         bp.status == "awaiting_upload";
}

json blueprint_json(const platform::Blueprint& bp) {
  json j = {{"id", bp.id},
            {"name", bp.name},
            {"status", bp.status},
            {"state", bp.state},
            {"create_time_ms", bp.create_time_ms},
            {"metadata", bp.metadata}};
  if (!bp.failure_reason.empty()) j["failure_reason"] = bp.failure_reason;
  if (bp.build_finish_time_ms) j["build_finish_time_ms"] = *bp.build_finish_time_ms;
  if (!bp.base_blueprint_id.empty()) j["base_blueprint_id"] = bp.base_blueprint_id;
  return j;
}

std::string blueprint_text(const platform::Blueprint& bp) {
  std::string t = "blueprint " + bp.id + " (" + bp.name + ") is " + bp.status;
  if (bp.state == "deleted") return t + ", deleted";
  if (bp.status == "build_complete")
    return t + "; create_devbox blueprint_id=" + bp.id + " (or blueprint_name=" + bp.name +
           ") starts a devbox from it";
  if (bp.status == "failed")
    return t + "; manage_devbox action=blueprint_logs blueprint_id=" + bp.id + " shows why";
  return t + "; call manage_devbox action=get_blueprint blueprint_id=" + bp.id +
         " wait_seconds=50 until it is build_complete";
}

// The blueprint once its build ended, or as it is when `wait` passes or the request is
// cancelled; a heartbeat every 10 s when the request asked for progress.
platform::Blueprint await_build(platform::DevboxService& devboxes, platform::Blueprint bp,
                                std::chrono::seconds wait, mcp::RequestContext& ctx) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  while (building(bp) && !ctx.cancelled() && Clock::now() - start < wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    bp = devboxes.get_blueprint(bp.id);
    if (building(bp) && ctx.has_progress_token() &&
        Clock::now() - ctx.last_progress_at() >= std::chrono::seconds(10))
      ctx.heartbeat("blueprint " + bp.id + " is " + bp.status);
  }
  return bp;
}

}  // namespace

bool is_blueprint_action(const std::string& action) {
  return action == "create_blueprint" || action == "get_blueprint" || action == "list_blueprints" ||
         action == "blueprint_logs" || action == "delete_blueprint";
}

std::string blueprint_action(platform::DevboxService& devboxes, const std::string& action,
                             const json& args, json& out, mcp::RequestContext& ctx) {
  auto need = [&](const char* key) {
    if (!args.contains(key) || args[key].get<std::string>().empty())
      throw PlatformError(ErrorKind::invalid, "action " + action + " needs " + key);
    return args[key].get<std::string>();
  };
  const std::chrono::seconds wait(args.value("wait_seconds", 0));
  if (action == "create_blueprint") {
    platform::BlueprintParameters p;
    p.name = need("blueprint_name");
    p.dockerfile = args.value("dockerfile", "");
    if (auto it = args.find("system_setup_commands"); it != args.end())
      p.system_setup_commands = it->get<std::vector<std::string>>();
    p.file_mounts = string_map_arg(args, "file_mounts");
    p.build_args = string_map_arg(args, "build_args");
    p.secrets = string_map_arg(args, "secrets");
    p.base_blueprint_id = args.value("base_blueprint_id", "");
    p.base_blueprint_name = args.value("base_blueprint_name", "");
    p.build_context_object_id = args.value("build_context_object_id", "");
    auto bp = await_build(devboxes, devboxes.create_blueprint(p), wait, ctx);
    out["blueprint"] = blueprint_json(bp);
    return blueprint_text(bp);
  }
  if (action == "get_blueprint") {
    auto bp = await_build(devboxes, devboxes.get_blueprint(need("blueprint_id")), wait, ctx);
    out["blueprint"] = blueprint_json(bp);
    return blueprint_text(bp);
  }
  if (action == "delete_blueprint") {
    auto bp = devboxes.delete_blueprint(need("blueprint_id"));
    out["blueprint"] = blueprint_json(bp);
    return "blueprint " + bp.id + " is deleted; devboxes created from it keep their files";
  }
  if (action == "list_blueprints") {
    platform::BlueprintListRequest r;
    r.limit = args.value("limit", 20);
    r.starting_after = args.value("starting_after", "");
    r.name = args.value("blueprint_name", "");
    auto page = devboxes.list_blueprints(r);
    json items = json::array();
    std::string text;
    for (const auto& bp : page.blueprints) {
      items.push_back(blueprint_json(bp));
      text += bp.id + " " + bp.name + " " + bp.status + "\n";
    }
    put_page(out, "blueprints", std::move(items), page.has_more);
    return text.empty() ? "no blueprints" : text;
  }
  // blueprint_logs: the last `limit` lines, as the devbox logs action returns them.
  const std::string id = need("blueprint_id");
  auto lines = devboxes.blueprint_logs(id);
  const std::size_t limit = static_cast<std::size_t>(args.value("limit", 20));
  const std::size_t skipped = lines.size() > limit ? lines.size() - limit : 0;
  json items = json::array();
  for (std::size_t i = skipped; i < lines.size(); ++i)
    items.push_back({{"timestamp_ms", lines[i].timestamp_ms},
                     {"source", "build"},
                     {"level", lines[i].level},
                     {"message", common::to_valid_utf8(lines[i].message)}});
  std::reverse(items.begin(), items.end());  // keep the newest lines when they do not all fit
  const std::size_t dropped = fit_items(items);
  std::reverse(items.begin(), items.end());
  std::string text;
  for (const auto& l : items)
    text += l["level"].get<std::string>() + ": " + l["message"].get<std::string>() + "\n";
  out["logs"] = std::move(items);
  out["earlier_lines"] = skipped + dropped;
  return text.empty() ? "no log lines" : text;
}

}  // namespace runagents::tools
