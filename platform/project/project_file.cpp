#include "platform/project/project_file.hpp"

#include <sstream>
#include <stdexcept>

namespace runagents::platform {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::size_t indent_of(const std::string& line) {
  return line.find_first_not_of(' ');
}

[[noreturn]] void fail(std::size_t line, const std::string& what) {
  throw std::invalid_argument("runagents.yaml line " + std::to_string(line) + ": " + what);
}

// A scalar: quotes removed ('' and \" escapes kept simple), a trailing " # comment" dropped.
std::string scalar(std::string v, std::size_t line) {
  v = trim(v);
  if (!v.empty() && (v.front() == '"' || v.front() == '\'')) {
    const char q = v.front();
    std::string out;
    for (std::size_t i = 1; i < v.size(); ++i) {
      if (v[i] == q) {
        if (q == '\'' && i + 1 < v.size() && v[i + 1] == '\'') {
          out += '\'';
          ++i;
          continue;
        }
        std::string rest = trim(v.substr(i + 1));
        if (!rest.empty() && rest.front() != '#') fail(line, "text after a quoted value");
        return out;
      }
      if (q == '"' && v[i] == '\\' && i + 1 < v.size()) {
        const char c = v[++i];
        out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
        continue;
      }
      out += v[i];
    }
    fail(line, "unterminated quoted value");
  }
  if (auto hash = v.find(" #"); hash != std::string::npos) v = trim(v.substr(0, hash));
  return v;
}

// [a, b] or {k: v, k: v}: the items between the brackets.
std::vector<std::string> flow_items(const std::string& v, std::size_t line) {
  std::string body = trim(v).substr(1);
  if (body.empty() || (body.back() != ']' && body.back() != '}')) fail(line, "unclosed [ or {");
  body.pop_back();
  std::vector<std::string> items;
  std::stringstream in(body);
  for (std::string item; std::getline(in, item, ',');)
    if (!trim(item).empty()) items.push_back(scalar(item, line));
  return items;
}

}  // namespace

ProjectFile parse_project_file(const std::string& text) {
  ProjectFile p;
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (l.find('\t') != std::string::npos && trim(l).rfind('#', 0) != 0)
      fail(lines.size() + 1, "tabs are not allowed for indentation in YAML");
    lines.push_back(l);
  }
  auto blank = [&](std::size_t i) {
    const std::string t = trim(lines[i]);
    return t.empty() || t.front() == '#';
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (blank(i)) continue;
    const std::size_t no = i + 1;
    if (indent_of(lines[i]) != 0) fail(no, "unexpected indentation");
    const auto colon = lines[i].find(':');
    if (colon == std::string::npos) fail(no, "expected 'key: value'");
    const std::string key = trim(lines[i].substr(0, colon));
    const std::string value = trim(lines[i].substr(colon + 1));
    // The indented lines that follow belong to this key.
    std::vector<std::pair<std::size_t, std::string>> nested;
    std::size_t j = i + 1;
    for (; j < lines.size(); ++j) {
      if (blank(j)) {
        if (value == "|" || value == ">") nested.emplace_back(j + 1, "");
        continue;
      }
      if (indent_of(lines[j]) == 0) break;
      nested.emplace_back(j + 1, lines[j]);
    }
    i = j - 1;
    auto list = [&]() {
      if (!value.empty() && value.front() == '[') return flow_items(value, no);
      if (!value.empty()) fail(no, key + " must be a list");
      std::vector<std::string> items;
      for (const auto& [n, l] : nested) {
        const std::string t = trim(l);
        if (t.empty()) continue;
        if (t.rfind("- ", 0) != 0 && t != "-") fail(n, "expected '- item' under " + key);
        items.push_back(scalar(t.substr(1), n));
      }
      return items;
    };
    if (key == "name" || key == "entry_point" || key == "system_prompt") {
      std::string v;
      if (value == "|" || value == ">") {
        std::size_t base = std::string::npos;
        for (const auto& [n, l] : nested)
          if (!trim(l).empty()) base = std::min(base, indent_of(l));
        std::string sep = value == "|" ? "\n" : " ";
        std::string acc;
        for (const auto& [n, l] : nested) acc += (l.size() > base ? l.substr(base) : "") + sep;
        while (!acc.empty() && (acc.back() == '\n' || acc.back() == ' ')) acc.pop_back();
        v = acc;
      } else {
        if (!nested.empty()) fail(nested.front().first, "unexpected indentation");
        v = scalar(value, no);
      }
      (key == "name" ? p.name : key == "entry_point" ? p.entry_point : p.system_prompt) = v;
    } else if (key == "tools") {
      p.tools = list();
    } else if (key == "vendored") {
      p.vendored = list();
    } else if (key == "model") {
      std::vector<std::pair<std::size_t, std::string>> pairs;
      if (!value.empty() && value.front() == '{') {
        for (const auto& item : flow_items(value, no)) pairs.emplace_back(no, item);
      } else if (!value.empty()) {
        auto slash = scalar(value, no).find('/');  // model: provider/model
        std::string v = scalar(value, no);
        if (slash == std::string::npos) fail(no, "model: give provider/model or a mapping");
        p.provider = v.substr(0, slash);
        p.model = v.substr(slash + 1);
      } else {
        for (const auto& [n, l] : nested) pairs.emplace_back(n, trim(l));
      }
      for (const auto& [n, item] : pairs) {
        auto c = item.find(':');
        if (c == std::string::npos) fail(n, "expected 'provider: ...' or 'model: ...'");
        const std::string k = trim(item.substr(0, c));
        if (k == "provider")
          p.provider = scalar(item.substr(c + 1), n);
        else if (k == "model")
          p.model = scalar(item.substr(c + 1), n);
        else
          fail(n, "unknown key '" + k + "' under model (provider, model)");
      }
    } else {
      fail(no,
           "unknown key '" + key + "' (name, system_prompt, tools, model, entry_point, vendored)");
    }
  }
  return p;
}

}  // namespace runagents::platform
