#include "platform/queries/query_router.hpp"

namespace runagents::platform {

namespace {

class QueryRouter : public QueryRunner {
 public:
  explicit QueryRouter(QueryTargets targets) : t_(std::move(targets)) {}

  QueryResult run(const QueryRequest& request, const QueryObserver& observer) override {
    auto both = [](const char* a, const char* b) {
      throw PlatformError(ErrorKind::invalid,
                          std::string(a) + " and " + b +
                              " name two different places to run the query; give one of them");
    };
    if (!request.agent_name.empty() && !request.runtime_url.empty()) both("agent", "runtime_url");
    if (!request.agent_name.empty() && !request.devbox_id.empty()) both("agent", "devbox_id");
    if (!request.runtime_url.empty() && !request.devbox_id.empty())
      both("runtime_url", "devbox_id");

    if (!request.agent_name.empty()) return use(t_.agent, "deployed agents").run(request, observer);
    if (!request.runtime_url.empty())
      return use(t_.runtimeuse, "RuntimeUse runtimes").run(request, observer);
    if (request.devbox_id.empty() && !t_.default_runtime_url.empty()) {
      QueryRequest copy = request;
      copy.runtime_url = t_.default_runtime_url;
      return use(t_.runtimeuse, "RuntimeUse runtimes").run(copy, observer);
    }
    return use(t_.embedded, "the embedded runtime").run(request, observer);
  }

 private:
  static QueryRunner& use(const std::shared_ptr<QueryRunner>& runner, const char* what) {
    if (!runner)
      throw PlatformError(ErrorKind::unavailable,
                          std::string("queries to ") + what + " are not available in this server");
    return *runner;
  }

  QueryTargets t_;
};

}  // namespace

std::shared_ptr<QueryRunner> make_query_router(QueryTargets targets) {
  return std::make_shared<QueryRouter>(std::move(targets));
}

}  // namespace runagents::platform
