// The malformed-GLM corpus (tests/fixtures/glm/malformed/): hand-written files, each with one defect, whose first
// line is `// expect: <substring>`. Importing each (parse, convert, OpenDSS reader, engine) must throw
// ParseError/ModelError whose message starts with "<file>:<line>: " (the line exists in that file) and contains the
// substring, written to name the offending object or property. The mutation fuzzer is tests/glm/fuzz/.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "engine/engine.hpp"
#include "glm/convert.hpp"
#include "util/error.hpp"

namespace gridswarm::glm {
namespace {

namespace fs = std::filesystem;

const fs::path kMalformed = fs::path(GRIDSWARM_FIXTURES) / "glm" / "malformed";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

TEST(GlmMalformedCorpus, EveryFileIsRejectedWithItsExpectedError) {
  ASSERT_TRUE(fs::is_directory(kMalformed)) << kMalformed;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kMalformed)) {
    if (entry.is_regular_file() && entry.path().extension() == ".glm") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  EXPECT_GE(files.size(), 10u);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    const std::string text = slurp(file);
    const std::string first = split_lines(text).at(0);
    const std::string marker = "// expect: ";
    ASSERT_EQ(first.rfind(marker, 0), 0u) << "line 1 must be '// expect: <substring>'";
    std::string expected = first.substr(marker.size());
    while (!expected.empty() && (expected.back() == '\r' || expected.back() == ' ')) expected.pop_back();
    ASSERT_FALSE(expected.empty());
    std::string message;
    try {
      const ImportResult r = import_file(file);
      const engine::Engine eng(to_circuit(r, file.filename().string() + ".dss"));
      ADD_FAILURE() << "was accepted; expected an error containing '" << expected << "'";
      continue;
    } catch (const ParseError& e) {
      message = e.what();
    } catch (const ModelError& e) {
      message = e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "wrong exception type " << typeid(e).name() << ": " << e.what();
      continue;
    }
    // The location is the corpus file (or a file it includes) with a line number; only a whole-file error ("no
    // node has bustype SWING") names the file alone.
    static const std::regex with_line(R"(^([^\n]+?):([1-9][0-9]*): \S)");
    std::smatch m;
    const std::string head = message.substr(0, 400);
    if (head.rfind(file.string() + ": ", 0) != 0) {
      ASSERT_TRUE(std::regex_search(head, m, with_line)) << "no '<file>:<line>: ' prefix: " << message;
      EXPECT_EQ(fs::path(m[1].str()).parent_path(), kMalformed) << message;
      EXPECT_LE(std::stoi(m[2].str()), static_cast<int>(split_lines(slurp(m[1].str())).size())) << message;
    }
    EXPECT_NE(message.find(expected), std::string::npos) << "expected '" << expected << "' in: " << message;
  }
}

}  // namespace
}  // namespace gridswarm::glm
