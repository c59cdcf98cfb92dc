#include "app/rss.hpp"

#include <fstream>
#include <sstream>
#include <string>

namespace gridswarm::app {

long rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  // The line reads "VmRSS:     12345 kB".
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    long kb = -1;
    fields >> kb;
    return kb;
  }
  return -1;
}

}  // namespace gridswarm::app
