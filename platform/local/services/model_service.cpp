// ModelProviderService of the local platform: the providers in the store, plus the configured
// OpenAI-compatible endpoint when there is one.
#include "platform/local/services/local_services.hpp"

namespace runagents::platform::local {

namespace {

class LocalModels : public ModelProviderService {
 public:
  explicit LocalModels(std::shared_ptr<LocalState> state) : state_(std::move(state)) {}

  std::vector<ModelProvider> list() override {
    std::vector<ModelProvider> out;
    for (const auto& r : state_->db->query("SELECT name, provider, base_url, models, status FROM "
                                           "model_providers ORDER BY name")) {
      json models = json::parse(r.text(3), nullptr, false);
      out.push_back(
          {r.text(0), r.text(1), r.text(2),
           models.is_array() ? models.get<std::vector<std::string>>() : std::vector<std::string>{},
           r.text(4)});
    }
    if (!state_->options.llm_base_url.empty())
      out.push_back({"openai-compatible", "openai", state_->options.llm_base_url, {}, "Available"});
    return out;
  }

 private:
  std::shared_ptr<LocalState> state_;
};

}  // namespace

std::shared_ptr<ModelProviderService> make_local_models(std::shared_ptr<LocalState> state) {
  return std::make_shared<LocalModels>(std::move(state));
}
}  // namespace runagents::platform::local
