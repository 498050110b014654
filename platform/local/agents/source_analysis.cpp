#include "platform/local/agents/source_analysis.hpp"

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

namespace runagents::platform::local {

namespace {

// Python 3.11's sys.stdlib_module_names without the private (_x) ones.
const std::set<std::string>& stdlib_modules() {
  static const std::set<std::string> names = [] {
    std::istringstream in(
        "abc aifc antigravity argparse array ast asynchat asyncio asyncore atexit audioop base64 "
        "bdb binascii bisect builtins bz2 cProfile calendar cgi cgitb chunk cmath cmd code codecs "
        "codeop collections colorsys compileall concurrent configparser contextlib contextvars "
        "copy copyreg crypt csv ctypes curses dataclasses datetime dbm decimal difflib dis "
        "distutils doctest email encodings ensurepip enum errno faulthandler fcntl filecmp "
        "fileinput fnmatch fractions ftplib functools gc genericpath getopt getpass gettext glob "
        "graphlib grp gzip hashlib heapq hmac html http idlelib imaplib imghdr imp importlib "
        "inspect io ipaddress itertools json keyword lib2to3 linecache locale logging lzma "
        "mailbox mailcap marshal math mimetypes mmap modulefinder msilib msvcrt multiprocessing "
        "netrc nis nntplib nt ntpath nturl2path numbers opcode operator optparse os ossaudiodev "
        "pathlib pdb pickle pickletools pipes pkgutil platform plistlib poplib posix posixpath "
        "pprint profile pstats pty pwd py_compile pyclbr pydoc pydoc_data pyexpat queue quopri "
        "random re readline reprlib resource rlcompleter runpy sched secrets select selectors "
        "shelve shlex shutil signal site smtpd smtplib sndhdr socket socketserver spwd sqlite3 "
        "sre_compile sre_constants sre_parse ssl stat statistics string stringprep struct "
        "subprocess sunau symtable sys sysconfig syslog tabnanny tarfile telnetlib tempfile "
        "termios textwrap this threading time timeit tkinter token tokenize tomllib trace "
        "traceback tracemalloc tty turtle turtledemo types typing unicodedata unittest urllib uu "
        "uuid venv warnings wave weakref webbrowser winreg winsound wsgiref xdrlib xml xmlrpc "
        "zipapp zipfile zipimport zlib zoneinfo __future__");
    std::set<std::string> out;
    for (std::string w; in >> w;) out.insert(w);
    return out;
  }();
  return names;
}

bool is_python(const std::string& file) {
  return file.size() > 3 && file.compare(file.size() - 3, 3, ".py") == 0;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// The part of a line before a '#' comment that is not inside a string (good enough for
// single-line strings).
std::string strip_comment(const std::string& line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == '\\')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      return line.substr(0, i);
    }
  }
  return line;
}

// Modules that are the agent's own files: "helpers.py" -> helpers, "pkg/x.py" -> pkg.
std::set<std::string> local_modules(const std::map<std::string, std::string>& files) {
  std::set<std::string> out;
  for (const auto& [name, _] : files) {
    auto slash = name.find('/');
    std::string first = slash == std::string::npos ? name : name.substr(0, slash);
    if (is_python(first)) first.resize(first.size() - 3);
    out.insert(first);
  }
  return out;
}

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Parameter names of a def's parameter list (text between the parentheses).
std::vector<std::string> parameter_names(const std::string& params) {
  std::vector<std::string> parts;
  int depth = 0;
  std::string current;
  for (char c : params) {
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(current);
  std::vector<std::string> names;
  for (auto& p : parts) {
    std::string name = trim(p.substr(0, std::min(p.find(':'), p.find('='))));
    if (name.empty() || name == "/" || name == "*") continue;
    names.push_back(name);
  }
  return names;
}

struct HandlerInfo {
  bool found = false;
  std::string signature;
};

// A top-level `def <name>(...)` (or async def), with its parameter names.
HandlerInfo find_def(const std::vector<std::string>& lines, const std::string& name) {
  const std::regex def_re("^(async\\s+)?def\\s+" + name + "\\s*\\(");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_search(lines[i], m, def_re)) continue;
    std::string params;
    int depth = 1;
    std::size_t pos = static_cast<std::size_t>(m.position(0) + m.length(0));
    for (std::size_t l = i; l < lines.size() && depth > 0; ++l, pos = 0) {
      const std::string text = strip_comment(lines[l]);
      for (; pos < text.size() && depth > 0; ++pos) {
        char c = text[pos];
        if (c == '(') ++depth;
        if (c == ')' && --depth == 0) break;
        params += c;
      }
      if (depth > 0) params += ' ';
    }
    HandlerInfo info;
    info.found = true;
    std::string joined;
    for (const auto& n : parameter_names(params)) joined += (joined.empty() ? "" : ", ") + n;
    info.signature = std::string(m[1].matched ? "async " : "") + name + "(" + joined + ")";
    return info;
  }
  return {};
}

// The entry the runtime would call, in its order: def handler, then a framework object named
// agent, chain, executor, graph or crew (not the SDK's Agent() helper, which has no invoke), then
// def main.
HandlerInfo find_handler(const std::string& source) {
  const auto lines = split_lines(source);
  if (auto h = find_def(lines, "handler"); h.found) return h;
  static const std::regex object_re(
      R"(^(agent|chain|executor|graph|crew)\s*(?::[^=]*)?=\s*([^=].*))");
  static const std::regex sdk_agent_re(R"(^(?:runagents\s*\.\s*)?Agent\s*\()");
  for (const auto& raw : lines) {
    const std::string line = strip_comment(raw);
    std::smatch m;
    if (!std::regex_search(line, m, object_re)) continue;
    if (std::regex_search(trim(m[2].str()), sdk_agent_re)) continue;
    return {true, m[1].str() + " (an object called with invoke, run or kickoff)"};
  }
  return find_def(lines, "main");
}

std::string provider_of_model(const std::string& model) {
  auto starts = [&](const char* p) { return model.rfind(p, 0) == 0; };
  if (starts("gpt-") || starts("o1") || starts("o3") || starts("o4")) return "openai";
  if (starts("claude-")) return "anthropic";
  if (starts("gemini-")) return "google";
  if (starts("llama")) return "meta";
  if (starts("mistral-") || starts("mixtral-")) return "mistral";
  if (starts("command-r")) return "cohere";
  if (model == "playground-llm") return "playground";
  return "unknown";
}

// Import name -> LLM library name.
std::string llm_library(const std::string& module) {
  static const std::map<std::string, std::string> libs = {
      {"openai", "openai"},
      {"anthropic", "anthropic"},
      {"langchain", "langchain"},
      {"langgraph", "langgraph"},
      {"crewai", "crewai"},
      {"litellm", "litellm"},
      {"mistralai", "mistralai"},
      {"cohere", "cohere"},
      {"groq", "groq"},
      {"llama_index", "llama-index"},
      {"google.generativeai", "google-generativeai"},
      {"google.genai", "google-genai"}};
  if (module.rfind("langchain", 0) == 0) return "langchain";
  for (const auto& [prefix, name] : libs)
    if (module == prefix || module.rfind(prefix + ".", 0) == 0) return name;
  return {};
}

struct Imports {
  std::vector<std::pair<std::string, int>> modules;  // full dotted module name, line
};

Imports imports_of(const std::string& source) {
  static const std::regex import_re(R"(^\s*import\s+(.+))");
  static const std::regex from_re(R"(^\s*from\s+([A-Za-z_][\w.]*)\s+import\b)");
  Imports out;
  auto lines = split_lines(source);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string line = strip_comment(lines[i]);
    std::smatch m;
    int line_no = static_cast<int>(i + 1);
    if (std::regex_search(line, m, from_re)) {
      out.modules.emplace_back(m[1].str(), line_no);
    } else if (std::regex_search(line, m, import_re)) {
      std::stringstream list(m[1].str());
      for (std::string item; std::getline(list, item, ',');) {
        std::string name = trim(item.substr(0, item.find(" as ")));
        if (!name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
          out.modules.emplace_back(name, line_no);
      }
    }
  }
  return out;
}

std::string host_of(const std::string& url) {
  auto start = url.find("://");
  if (start == std::string::npos) return {};
  start += 3;
  auto end = url.find_first_of("/:?#", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

void add_unique(std::vector<std::string>& list, const std::string& value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end())
    list.push_back(value);
}

}  // namespace

std::vector<std::string> vendored_paths(const std::map<std::string, std::string>& files,
                                        const std::vector<std::string>& listed) {
  std::set<std::string> out;
  auto parent_of = [](const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  };
  for (const auto& [name, _] : files) {
    static const std::string init = "__init__.py";
    if (name.size() <= init.size() + 1 ||
        name.compare(name.size() - init.size() - 1, std::string::npos, "/" + init) != 0)
      continue;
    const std::string dir = name.substr(0, name.size() - init.size());    // "pkg/"
    const std::string parent = parent_of(dir.substr(0, dir.size() - 1));  // "" or "lib/"
    const std::string package = dir.substr(parent.size(), dir.size() - parent.size() - 1);
    bool marked = false;
    if (!parent.empty())
      marked = files.count(parent + "pyproject.toml") || files.count(parent + "setup.py");
    // A dist-info of this package: named after it (pip normalises - to _), or listing it in its
    // top_level.txt.
    for (auto it = files.lower_bound(parent); !marked && it != files.end(); ++it) {
      if (it->first.compare(0, parent.size(), parent) != 0) break;
      const std::string rest = it->first.substr(parent.size());
      const auto slash = rest.find('/');
      if (slash == std::string::npos || slash <= 10 ||
          rest.compare(slash - 10, 10, ".dist-info") != 0)
        continue;
      std::string dist = rest.substr(0, rest.find('-'));
      std::string want = package;
      for (auto* n : {&dist, &want})
        for (auto& c : *n) c = c == '-' || c == '.' ? '_' : static_cast<char>(std::tolower(c));
      if (dist == want) marked = true;
      if (rest.compare(slash, std::string::npos, "/top_level.txt") == 0) {
        std::istringstream names(it->second);
        for (std::string n; !marked && std::getline(names, n);) marked = trim(n) == package;
      }
    }
    if (marked) out.insert(dir);
  }
  for (std::string path : listed) {
    const std::string given = path;
    while (!path.empty() && path.back() == '/') path.pop_back();
    bool valid = !path.empty() && path.front() != '/' && path.find('\\') == std::string::npos;
    for (std::size_t start = 0; valid && start <= path.size();) {
      auto end = path.find('/', start);
      std::string part = path.substr(start, end == std::string::npos ? end : end - start);
      if (part.empty() || part == "." || part == "..") valid = false;
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (!valid)
      throw PlatformError(ErrorKind::invalid,
                          "vendored_paths: '" + given +
                              "' is not a relative path inside source_files (e.g. lib/ or "
                              "vendor/sdk); no leading '/', no '..'");
    const bool is_file = files.count(path) > 0;
    bool is_dir = false;
    for (auto it = files.lower_bound(path + "/"); it != files.end(); ++it) {
      is_dir = it->first.compare(0, path.size() + 1, path + "/") == 0;
      break;
    }
    if (!is_file && !is_dir)
      throw PlatformError(ErrorKind::invalid, "vendored_paths: '" + given +
                                                  "' names no file or directory of source_files");
    out.insert(is_file ? path : path + "/");
  }
  return {out.begin(), out.end()};
}

bool is_vendored(const std::string& file, const std::vector<std::string>& vendored) {
  for (const auto& v : vendored) {
    if (file == v) return true;
    if (!v.empty() && v.back() == '/' && file.compare(0, v.size(), v) == 0) return true;
  }
  return false;
}

std::string tool_env_name(const std::string& tool) {
  std::string out = "TOOL_URL_";
  for (char c : tool)
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string pip_name(const std::string& import_name) {
  static const std::map<std::string, std::string> names = {{"yaml", "pyyaml"},
                                                           {"bs4", "beautifulsoup4"},
                                                           {"PIL", "pillow"},
                                                           {"sklearn", "scikit-learn"},
                                                           {"cv2", "opencv-python"},
                                                           {"dotenv", "python-dotenv"},
                                                           {"dateutil", "python-dateutil"},
                                                           {"jwt", "pyjwt"},
                                                           {"Crypto", "pycryptodome"},
                                                           {"google", "google-generativeai"},
                                                           {"llama_index", "llama-index"},
                                                           {"magic", "python-magic"},
                                                           {"docx", "python-docx"},
                                                           {"attr", "attrs"}};
  auto it = names.find(import_name);
  return it == names.end() ? import_name : it->second;
}

std::vector<std::string> third_party_imports(const std::map<std::string, std::string>& files,
                                             const std::vector<std::string>& vendored) {
  std::set<std::string> out;
  const auto local = local_modules(files);
  for (const auto& [file, source] : files) {
    if (!is_python(file) || is_vendored(file, vendored)) continue;
    for (const auto& [module, _] : imports_of(source).modules) {
      if (module.empty() || module[0] == '.') continue;
      std::string top = module.substr(0, module.find('.'));
      if (top.empty() || top[0] == '_' || stdlib_modules().count(top) || local.count(top) ||
          top == "runagents")
        continue;
      out.insert(top);
    }
  }
  return {out.begin(), out.end()};
}

Analysis analyze_sources(const std::map<std::string, std::string>& files,
                         const std::string& entry_point, const std::vector<Tool>& known_tools,
                         const std::vector<std::string>& listed_vendored) {
  Analysis a;
  const auto vendored = vendored_paths(files, listed_vendored);
  auto own = [&](const std::string& file) {
    return is_python(file) && !is_vendored(file, vendored);
  };
  // Entry point.
  if (!entry_point.empty()) {
    if (!files.count(entry_point)) {
      std::string names;
      for (const auto& [n, _] : files) names += (names.empty() ? "" : ", ") + n;
      throw PlatformError(ErrorKind::invalid, "entry_point '" + entry_point +
                                                  "' is not one of source_files (" + names +
                                                  "); name one of them or leave it out to "
                                                  "detect it");
    }
    a.entry_point = entry_point;
  } else {
    std::vector<std::string> preferred = {"agent.py", "main.py", "app.py"};
    auto is_preferred = [&](const std::string& name) {
      return std::find(preferred.begin(), preferred.end(), name) != preferred.end();
    };
    for (const auto& [name, source] : files) {
      if (!own(name) || !find_handler(source).found) continue;
      if (a.entry_point.empty() || (is_preferred(name) && !is_preferred(a.entry_point)))
        a.entry_point = name;
    }
    for (const auto& p : preferred)
      if (a.entry_point.empty() && files.count(p)) a.entry_point = p;
    for (const auto& [name, _] : files)
      if (a.entry_point.empty() && own(name)) a.entry_point = name;
  }
  if (!a.entry_point.empty()) {
    auto handler = find_handler(files.at(a.entry_point));
    a.has_handler = handler.found;
    a.handler_signature = handler.signature;
  }

  static const std::regex call_tool_re(
      R"(call_tool\(\s*(?:name\s*=\s*)?["']([A-Za-z0-9_.-]+)["'])");
  static const std::regex tool_env_re(R"(TOOL_URL_([A-Z0-9_]+))");
  static const std::regex tools_map_re(R"(tools(?:\[|\.get\()\s*["']([a-z0-9-]+)["'])");
  static const std::regex url_re(R"(https?://[^\s"'<>\\)]+)");
  static const std::regex model_re(
      R"re(["']((?:gpt-[\w.\-]+|o[134](?:-mini|-preview)?|claude-[\w.\-]+|gemini-[\w.\-]+|llama[\w.\-]*|mistral-[\w.\-]+|mixtral-[\w.\-]+|command-r[\w.\-]*|playground-llm))["'])re");
  struct SecretPattern {
    std::regex re;
    const char* type;
    const char* severity;
  };
  static const std::vector<SecretPattern> secret_patterns = [] {
    std::vector<SecretPattern> p;
    p.push_back({std::regex(R"(sk-ant-[A-Za-z0-9_\-]{20,})"), "anthropic_api_key", "high"});
    p.push_back({std::regex(R"(sk-(?:proj-)?[A-Za-z0-9_\-]{20,})"), "openai_api_key", "high"});
    p.push_back({std::regex(R"(ra_ws_[A-Za-z0-9]{8,})"), "runagents_api_key", "high"});
    p.push_back({std::regex(R"(AKIA[0-9A-Z]{16})"), "aws_access_key", "high"});
    p.push_back({std::regex(R"(gh[pousr]_[A-Za-z0-9]{30,})"), "github_token", "high"});
    p.push_back({std::regex(R"(xox[baprs]-[A-Za-z0-9-]{10,})"), "slack_token", "high"});
    p.push_back({std::regex(R"(-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----)"),
                 "private_key", "high"});
    p.push_back(
        {std::regex(
             R"re((?:api[_-]?key|apikey|secret|token|access[_-]?key)\w*\s*[:=]\s*["'][^"'\s]{8,}["'])re",
             std::regex::icase),
         "api_key", "medium"});
    p.push_back(
        {std::regex(R"re(passw(?:or)?d\w*\s*[:=]\s*["'][^"']{4,}["'])re", std::regex::icase),
         "password", "medium"});
    return p;
  }();

  std::set<std::string> llm_libs;
  bool imports_runagents = false;
  std::set<std::string> frameworks;
  for (const auto& [file, source] : files) {
    if (!own(file)) continue;
    for (const auto& [module, line] : imports_of(source).modules) {
      (void)line;
      std::string lib = llm_library(module);
      if (!lib.empty()) llm_libs.insert(lib);
      if (module == "runagents" || module.rfind("runagents.", 0) == 0) imports_runagents = true;
      if (lib == "langgraph" || lib == "langchain" || lib == "crewai") frameworks.insert(lib);
    }
    const std::string& path = file;  // clang 14 cannot capture a structured binding
    auto lines = split_lines(source);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const std::string& raw = lines[i];
      const std::string line = strip_comment(raw);
      const int line_no = static_cast<int>(i + 1);
      auto add_tool = [&](const std::string& name, const std::string& url) {
        for (const auto& t : a.tools)
          if (t.name == name) return;
        ToolUse use{name, url, path, line_no};
        for (const auto& known : known_tools)
          if (known.name == name && use.base_url.empty()) use.base_url = known.base_url;
        a.tools.push_back(use);
      };
      for (std::sregex_iterator it(line.begin(), line.end(), call_tool_re), end; it != end; ++it)
        add_tool((*it)[1].str(), "");
      for (std::sregex_iterator it(line.begin(), line.end(), tool_env_re), end; it != end; ++it) {
        std::string name = (*it)[1].str();
        std::transform(name.begin(), name.end(), name.begin(),
                       [](char c) { return c == '_' ? '-' : static_cast<char>(std::tolower(c)); });
        if (name != "rewrites-json") add_tool(name, "");
      }
      for (std::sregex_iterator it(line.begin(), line.end(), tools_map_re), end; it != end; ++it)
        add_tool((*it)[1].str(), "");
      for (std::sregex_iterator it(line.begin(), line.end(), url_re), end; it != end; ++it) {
        std::string url = (*it)[0].str();
        add_unique(a.outbound_destinations, host_of(url));
        for (const auto& known : known_tools)
          if (!known.base_url.empty() && url.rfind(known.base_url, 0) == 0)
            add_tool(known.name, known.base_url);
      }
      for (std::sregex_iterator it(line.begin(), line.end(), model_re), end; it != end; ++it) {
        std::string model = (*it)[1].str();
        bool seen = std::any_of(a.models.begin(), a.models.end(),
                                [&](const ModelUse& m) { return m.model == model; });
        if (!seen) a.models.push_back({provider_of_model(model), model, file, line_no});
      }
      if (imports_runagents && line.find(".chat(") != std::string::npos)
        llm_libs.insert("runagents");
      // Secrets are searched in the raw line (comments too) but never copied into the result.
      if (raw.find("environ") == std::string::npos && raw.find("getenv") == std::string::npos) {
        for (const auto& p : secret_patterns) {
          if (std::regex_search(raw, p.re)) {
            a.secrets.push_back({p.type, file, line_no, p.severity});
            break;
          }
        }
      }
    }
  }
  a.llm_libraries.assign(llm_libs.begin(), llm_libs.end());
  std::sort(a.outbound_destinations.begin(), a.outbound_destinations.end());
  std::set<std::string> reqs;
  for (const auto& module : third_party_imports(files, vendored)) reqs.insert(pip_name(module));
  a.requirements.assign(reqs.begin(), reqs.end());
  if (frameworks.count("langgraph"))
    a.framework = "langgraph";
  else if (frameworks.count("langchain"))
    a.framework = "langchain";
  else if (frameworks.count("crewai"))
    a.framework = "crewai";
  else if (imports_runagents || a.has_handler)
    a.framework = "runagents";
  return a;
}

}  // namespace runagents::platform::local
