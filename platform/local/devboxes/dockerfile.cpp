#include "platform/local/devboxes/dockerfile.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "platform/common/shell_quote.hpp"
#include "platform/devboxes.hpp"
#include "platform/error.hpp"

namespace runagents::platform::local {

namespace {

struct Instruction {
  int line = 0;
  std::string keyword;  // upper case
  std::string rest;     // the arguments, continuation lines joined
};

PlatformError refused(int line, const std::string& why) {
  return PlatformError(ErrorKind::invalid, "dockerfile line " + std::to_string(line) + ": " + why);
}

std::string trim_blanks(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// Logical instructions: comments and blank lines dropped, lines ending in \ joined (comment lines
// inside a continuation are dropped, as Docker does).
std::vector<Instruction> instructions(const std::string& text) {
  std::vector<Instruction> out;
  Instruction cur;
  bool continuing = false;
  int number = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = trim_blanks(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++number;
    if (line.empty() || line.front() == '#') {
      if (pos > text.size()) break;
      continue;
    }
    const bool more = line.back() == '\\';
    if (more) line = trim_blanks(line.substr(0, line.size() - 1));
    if (!continuing) {
      cur = Instruction{};
      cur.line = number;
      const auto sp = line.find_first_of(" \t");
      cur.keyword = line.substr(0, sp);
      std::transform(cur.keyword.begin(), cur.keyword.end(), cur.keyword.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      cur.rest = sp == std::string::npos ? "" : trim_blanks(line.substr(sp));
    } else {
      cur.rest += (cur.rest.empty() ? "" : " ") + line;
    }
    continuing = more;
    if (!continuing) out.push_back(cur);
  }
  if (continuing) out.push_back(cur);  // a trailing backslash ends the file
  return out;
}

// Words of an ENV/ARG/COPY/WORKDIR argument list: split on blanks outside quotes, quotes
// removed, \ escaping the next character (outside single quotes).
std::vector<std::string> words(const std::string& s, int line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < s.size()) {
        cur += s[++i];
      } else {
        cur += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote) throw refused(line, "a quote is not closed");
  if (in_word) out.push_back(cur);
  return out;
}

bool is_name(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// A JSON array form (["a", "b"]) as its strings; nullopt when `rest` is not one.
std::optional<std::vector<std::string>> exec_form(const std::string& rest, int line) {
  if (rest.empty() || rest.front() != '[') return std::nullopt;
  auto j = nlohmann::json::parse(rest, nullptr, false);
  if (!j.is_array()) return std::nullopt;  // shell form that starts with [
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string()) throw refused(line, "the JSON form takes strings only");
    out.push_back(v.get<std::string>());
  }
  if (out.empty()) throw refused(line, "the JSON form is empty");
  return out;
}

void check_no_flags(const Instruction& in) {
  if (in.rest.rfind("--", 0) == 0)
    throw refused(in.line, in.keyword + " " + in.rest.substr(0, in.rest.find(' ')) +
                               " is not supported by the local builder (it has no container "
                               "build); write the instruction without flags");
}

void check_from(const Instruction& in) {
  auto w = words(in.rest, in.line);
  if (w.size() == 3) {
    std::string as = w[1];
    std::transform(as.begin(), as.end(), as.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (as == "as") w.resize(1);
  }
  const std::string base = kLocalBaseImage;
  if (w.size() != 1 || (w[0] != base && w[0] != base + ":latest"))
    throw refused(in.line, "FROM " + in.rest +
                               ": a local blueprint builds on the local sandbox, whose image is "
                               "named " +
                               base + " (write FROM " + base +
                               "); another image needs a container build, which Runloop's "
                               "blueprints do (set RUNLOOP_API_KEY)");
}

}  // namespace

std::vector<BuildStep> parse_dockerfile(const std::string& dockerfile) {
  std::vector<BuildStep> steps;
  bool from_seen = false;
  for (const auto& in : instructions(dockerfile)) {
    const std::string& k = in.keyword;
    BuildStep s;
    s.line = in.line;
    if (k == "FROM") {
      if (from_seen)
        throw refused(in.line,
                      "a second FROM (a multi-stage build) needs a container build; the local "
                      "builder takes one FROM " +
                          std::string(kLocalBaseImage));
      check_no_flags(in);
      check_from(in);
      from_seen = true;
      continue;
    }
    if (!from_seen && k != "ARG")
      throw refused(in.line, k + " before FROM; a dockerfile starts with FROM " +
                                 std::string(kLocalBaseImage));
    if (k == "RUN") {
      check_no_flags(in);
      if (in.rest.empty()) throw refused(in.line, "RUN needs a command");
      s.instruction = "RUN";
      if (auto argv = exec_form(in.rest, in.line)) {
        for (const auto& a : *argv) s.text += (s.text.empty() ? "" : " ") + shell_quote(a);
      } else {
        s.text = in.rest;
      }
    } else if (k == "ENV" || k == "ARG") {
      s.instruction = k;
      auto w = words(in.rest, in.line);
      if (w.empty()) throw refused(in.line, k + " needs a name");
      if (k == "ENV" && w.size() >= 2 && w[0].find('=') == std::string::npos) {
        // The legacy form: ENV NAME the rest of the line.
        std::string value = trim_blanks(in.rest.substr(in.rest.find_first_of(" \t")));
        w = {w[0] + "=" + value};
      }
      for (const auto& word : w) {
        const auto eq = word.find('=');
        const std::string name = word.substr(0, eq);
        if (!is_name(name))
          throw refused(in.line, k + " " + word + ": \"" + name +
                                     "\" is not a variable name (letters, digits, _)");
        if (k == "ENV" && eq == std::string::npos)
          throw refused(in.line, "ENV " + word + " needs a value (ENV NAME=value)");
        s.pairs.emplace_back(name, eq == std::string::npos ? "" : word.substr(eq + 1));
        s.has_default.push_back(eq != std::string::npos);
      }
    } else if (k == "WORKDIR") {
      s.instruction = "WORKDIR";
      auto w = words(in.rest, in.line);
      if (w.size() != 1) throw refused(in.line, "WORKDIR takes one path");
      s.args = w;
    } else if (k == "COPY") {
      check_no_flags(in);
      s.instruction = "COPY";
      auto argv = exec_form(in.rest, in.line);
      s.args = argv ? *argv : words(in.rest, in.line);
      if (s.args.size() < 2)
        throw refused(in.line, "COPY needs a source in build_context and a destination");
    } else if (k == "LABEL" || k == "EXPOSE" || k == "CMD" || k == "ENTRYPOINT" ||
               k == "MAINTAINER" || k == "STOPSIGNAL" || k == "HEALTHCHECK" || k == "VOLUME") {
      s.instruction = "ignored";
      s.text = k + (in.rest.empty() ? "" : " " + in.rest);
    } else if (k == "ADD") {
      throw refused(in.line,
                    "ADD is not supported by the local builder; use COPY from "
                    "build_context (URLs: RUN curl or git in a networked build)");
    } else if (k == "USER" || k == "SHELL" || k == "ONBUILD") {
      throw refused(in.line, k + " is not supported by the local builder: a local devbox runs "
                                 "bash as its one user");
    } else {
      throw refused(in.line, "unknown instruction " + k);
    }
    steps.push_back(std::move(s));
  }
  if (!from_seen)
    throw PlatformError(ErrorKind::invalid,
                        "dockerfile: no FROM; a local blueprint's dockerfile "
                        "starts with FROM " +
                            std::string(kLocalBaseImage));
  return steps;
}

std::string expand_variables(const std::string& text,
                             const std::map<std::string, std::string>& vars) {
  auto value = [&](const std::string& name) {
    auto it = vars.find(name);
    return it == vars.end() ? std::string() : it->second;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (c != '$' || i + 1 >= text.size()) {
      out += c;
    } else if (text[i + 1] == '{') {
      const auto close = text.find('}', i + 2);
      if (close == std::string::npos) {
        out += text.substr(i);
        break;
      }
      const std::string inner = text.substr(i + 2, close - i - 2);
      const auto op = inner.find(':');
      const std::string name = inner.substr(0, op);
      const std::string v = value(name);
      if (op != std::string::npos && op + 1 < inner.size() && inner[op + 1] == '-')
        out += v.empty() ? inner.substr(op + 2) : v;
      else if (op != std::string::npos && op + 1 < inner.size() && inner[op + 1] == '+')
        out += v.empty() ? "" : inner.substr(op + 2);
      else
        out += v;
      i = close;
    } else if (std::isalpha(static_cast<unsigned char>(text[i + 1])) || text[i + 1] == '_') {
      std::size_t j = i + 1;
      while (j < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
        ++j;
      out += value(text.substr(i + 1, j - i - 1));
      i = j - 1;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace runagents::platform::local
