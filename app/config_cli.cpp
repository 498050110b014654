#include "app/config_cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/config_commands.hpp"

namespace runagents::cli {

using namespace runagents::platform;  // config and doctor read the platform throughout

void add_config_flags(CLI::App& app, ConfigFlags& flags) {
  auto set = [](std::optional<std::string>& field) {
    return [&field](const std::string& v) { field = v; };
  };
  app.add_option_function<std::string>(
      "--endpoint", set(flags.endpoint),
      "RunAgents API base URL (env RUNAGENTS_ENDPOINT); unset: the embedded local platform");
  app.add_option_function<std::string>(
      "--api-key", set(flags.api_key),
      "RunAgents API key; prefer env RUNAGENTS_API_KEY or `config set api_key -` (flags show in "
      "ps)");
  app.add_option_function<std::string>("--namespace", set(flags.ns),
                                       "Namespace (env RUNAGENTS_NAMESPACE; default \"default\")");
  app.add_option_function<std::string>(
      "--data-dir", set(flags.data_dir),
      "Local platform data dir (env RUNAGENTS_DATA_DIR; default ~/.runagents/local)");
  app.add_option_function<std::string>("--config", set(flags.config_file),
                                       "Config file (default ~/.runagents/config.json)");
}

void add_config_commands(CLI::App& app, ConfigCommands& c) {
  c.config = app.add_subcommand(
      "config", "Show or change the configuration file (~/.runagents/config.json, mode 0600)");
  c.config->require_subcommand(1);
  c.config->fallthrough();
  c.get = c.config->add_subcommand("get", "Print the effective value of KEY (secrets redacted)");
  c.get
      ->add_option("key", c.key,
                   "endpoint, api_key, namespace, assistant_mode, data_dir, "
                   "llm_base_url or llm_api_key")
      ->required();
  c.get->fallthrough();
  c.set = c.config->add_subcommand(
      "set", "Write KEY = VALUE to the config file (VALUE - reads it from stdin; \"\" removes)");
  c.set->add_option("key", c.key, "The key")->required();
  c.set->add_option("value", c.value, "The value")->required();
  c.set->fallthrough();
  c.list = c.config->add_subcommand("list", "Print every key, its value and where it came from");
  c.list->fallthrough();
  c.doctor = app.add_subcommand(
      "doctor",
      "Check the setup: which face each domain uses and why, data dir, bwrap, python3, "
      "endpoint reachability");
  c.doctor->fallthrough();
}

int run_config_commands(const ConfigCommands& c, const ConfigFlags& flags) {
  if (c.doctor && *c.doctor) return run_doctor(flags, std::cout);
  if (!c.config || !*c.config) return -1;
  if (*c.get) return config_get(flags, c.key, std::cout, std::cerr);
  if (*c.set) return config_set(flags, c.key, c.value, std::cout, std::cerr);
  if (*c.list) return config_list(flags, std::cout, std::cerr);
  return -1;
}

}  // namespace runagents::cli
