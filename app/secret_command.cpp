#include "app/secret_command.hpp"

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <iterator>

#include "platform/local/secrets/secret_store.hpp"

namespace runagents::cli {

namespace {

// The value on stdin: one line typed without echo on a terminal; else everything up to EOF, less
// one trailing line end.
std::string read_value() {
  const bool terminal = ::isatty(STDIN_FILENO) == 1;
  std::string value;
  if (terminal) {
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::cerr << "value (not shown): " << std::flush;
    std::getline(std::cin, value);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  } else {
    value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (!value.empty() && value.back() == '\n') value.pop_back();
    if (!value.empty() && value.back() == '\r') value.pop_back();
  }
  return value;
}

std::string time_of(std::int64_t ms) {
  char buf[32];
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void add_secret_command(CLI::App& app, SecretCommand& s) {
  s.command = app.add_subcommand(
      "secret",
      "Manage the secrets local devboxes get as environment variables (create_devbox secrets); "
      "values are read from stdin and never printed");
  s.command->require_subcommand(1);
  s.command->fallthrough();
  s.set = s.command->add_subcommand("set", "Create or replace secret NAME; the value on stdin");
  s.set->add_option("name", s.name, "The secret's name")->required();
  s.set->fallthrough();
  s.list = s.command->add_subcommand("list", "List the secrets' names (never their values)");
  s.list->fallthrough();
  s.remove = s.command->add_subcommand("delete", "Delete secret NAME");
  s.remove->add_option("name", s.name, "The secret's name")->required();
  s.remove->fallthrough();
}

int run_secret(const SecretCommand& s, const platform::ConfigFlags& config_flags) {
  try {
    const platform::Config config = platform::load_config(config_flags);
    platform::local::SecretStore store(config.data_dir);
    if (*s.set) {
      platform::local::check_secret_name(s.name);
      const std::string value = read_value();
      bool created = false;
      const auto view = store.set(s.name, value, &created);
      std::cout << "secret " << view.name << (created ? " created" : " updated") << " (" << view.id
                << ") in " << store.file().string() << "\n";
      return 0;
    }
    if (*s.list) {
      const auto all = store.list();
      if (all.empty()) std::cout << "no secrets in " << store.file().string() << "\n";
      for (const auto& v : all)
        std::cout << v.name << "\t" << v.id << "\tupdated " << time_of(v.update_time_ms) << "\n";
      return 0;
    }
    if (*s.remove) {
      const auto gone = store.remove(s.name);
      std::cout << "secret " << gone.name << " deleted\n";
      return 0;
    }
  } catch (const platform::PlatformError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return e.kind() == platform::ErrorKind::invalid ? 2 : 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}

}  // namespace runagents::cli
