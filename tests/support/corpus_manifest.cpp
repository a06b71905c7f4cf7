// Reading the corpus manifest (nlohmann::json) and the sources' markers.
#include "support/corpus_manifest.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace triage_test {

const std::vector<CorpusProgram>& corpus_programs() {
  static const std::vector<CorpusProgram> programs = [] {
    const std::filesystem::path path = std::filesystem::path(TRIAGE_CORPUS_DIR) / "crashes" / "manifest.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("can't read " + path.string());
    const nlohmann::json manifest = nlohmann::json::parse(in);
    std::vector<CorpusProgram> out;
    for (const nlohmann::json& e : manifest.at("programs")) {
      CorpusProgram p;
      p.name = e.at("name").get<std::string>();
      p.arch = e.at("arch").get<std::string>();
      p.args = e.at("args").get<std::vector<std::string>>();
      p.signal = e.at("signal").get<int>();
      p.expected_class = e.at("class").get<std::string>();
      p.expected_type = e.at("type").get<std::string>();
      p.crash_function = e.at("crash_function").get<std::string>();
      p.source = e.at("source").get<std::string>();
      p.crashing_thread = e.at("crashing_thread").get<std::string>();
      p.deep_stack = e.value("deep_stack", false);
      p.inlined = e.value("inlined", false);
      out.push_back(std::move(p));
    }
    return out;
  }();
  return programs;
}

int crash_line_of(const CorpusProgram& program) {
  std::ifstream in(std::filesystem::path(TRIAGE_CORPUS_DIR) / "crashes" / program.source);
  std::string line;
  int found = 0;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find("// CRASH-LINE") != std::string::npos) {
      if (found != 0) return -1;
      found = n;
    }
  }
  return found;
}

}  // namespace triage_test
