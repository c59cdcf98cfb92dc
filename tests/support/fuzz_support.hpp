// Shared by the parser fuzz tests (tests/dss/fuzz, tests/glm/fuzz): a platform-independent random generator,
// line helpers, and the crash and hang guards that turn a fatal signal or a hang into a report with the seed and a
// reproducer file. Header-only; each fuzz test is its own executable, so the guards' global state is one per process.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define GRIDSWARM_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GRIDSWARM_FUZZ_ASAN 1
#endif
#endif

namespace gridswarm::test::fuzz {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---- random numbers: SplitMix64, identical on every platform (std distributions are not) -----------------------

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  bool percent(int p) { return below(100) < static_cast<std::size_t>(p); }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }

 private:
  std::uint64_t s_;
};

inline std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

inline std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += l;
    out += '\n';
  }
  return out;
}

// ---- crash and hang guards --------------------------------------------------------------------------------------
// The input being read is published here; a fatal signal or the watchdog writes it to the reproducer file with
// async-signal-safe calls only (write, pwrite, ftruncate) and reports the seed.

/// What the guards print and name: "dss fuzz", "reading", "read_string", ".dss" (literals, read by the handler).
struct Tag {
  const char* name;       ///< prefix of every message, "[name] ..."
  const char* doing;      ///< "reading" / "importing"
  const char* call;       ///< what did not return, for a hang report
  const char* extension;  ///< of the reproducer file
};

struct Current {
  Tag tag{"fuzz", "reading", "the call", ".txt"};
  std::mutex mutex;            // guards data/size/label against the watchdog (never held while parsing)
  const char* data = nullptr;  // text being parsed (read by the signal handler)
  std::size_t size = 0;
  char label[512] = {};  // "feeder seed=..." line
  char repro_path[512] = {};
  int repro_fd = -1;
  std::atomic<std::int64_t> started_ns{0};  // 0 when no input is being parsed
};
inline Current g_current;

inline void write_str(int fd, const char* s) {
  const std::size_t n = std::strlen(s);
  if (n > 0) {
    [[maybe_unused]] const auto w = ::write(fd, s, n);
  }
}

inline void dump_current(const char* what) {
  write_str(2, "\n[");
  write_str(2, g_current.tag.name);
  write_str(2, "] ");
  write_str(2, what);
  write_str(2, " while ");
  write_str(2, g_current.tag.doing);
  write_str(2, " ");
  write_str(2, g_current.label);
  if (g_current.repro_fd >= 0 && g_current.data != nullptr) {
    [[maybe_unused]] const int t = ::ftruncate(g_current.repro_fd, 0);
    std::size_t done = 0;
    while (done < g_current.size) {
      const auto w =
          ::pwrite(g_current.repro_fd, g_current.data + done, g_current.size - done, static_cast<off_t>(done));
      if (w <= 0) break;
      done += static_cast<std::size_t>(w);
    }
    write_str(2, "\n[");
    write_str(2, g_current.tag.name);
    write_str(2, "] reproducer (the mutated text): ");
    write_str(2, g_current.repro_path);
  }
  write_str(2, "\n");
}

inline void on_fatal_signal(int sig) {
  dump_current(sig == SIGSEGV ? "SIGSEGV" : sig == SIGABRT ? "SIGABRT" : sig == SIGFPE ? "SIGFPE" : "fatal signal");
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// Installs the signal handlers, the watchdog and an address-space cap for one test; undoes them at the end.
class Guards {
 public:
  Guards(double hang_seconds, const Tag& tag) : hang_ns_(static_cast<std::int64_t>(hang_seconds * 1e9)) {
    g_current.tag = tag;
    std::string file = "gridswarm_";
    for (const char* c = tag.name; *c != '\0'; ++c) file += *c == ' ' ? '_' : *c;
    file += "_crash_" + std::to_string(::getpid()) + tag.extension;
    const std::string path = (fs::temp_directory_path() / file).string();
    std::snprintf(g_current.repro_path, sizeof g_current.repro_path, "%s", path.c_str());
    g_current.repro_fd = ::open(g_current.repro_path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
#ifndef GRIDSWARM_FUZZ_ASAN
    // A huge allocation must become std::bad_alloc (a test failure) rather than swap the machine to death.
    if (::getrlimit(RLIMIT_AS, &saved_as_) == 0) {
      rlimit capped = saved_as_;
      const rlim_t cap = rlim_t{6} << 30;
      if (capped.rlim_max == RLIM_INFINITY || capped.rlim_max > cap) capped.rlim_cur = cap;
      as_capped_ = ::setrlimit(RLIMIT_AS, &capped) == 0;
    }
    stack_.resize(1 << 16);
    stack_t ss{};
    ss.ss_sp = stack_.data();
    ss.ss_size = stack_.size();
    ::sigaltstack(&ss, &saved_stack_);
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < kSignals; ++i) ::sigaction(kSignalList[i], &sa, &saved_[i]);
#endif
    watchdog_ = std::thread([this] { watch(); });
  }
  ~Guards() {
    stop_ = true;
    watchdog_.join();
#ifndef GRIDSWARM_FUZZ_ASAN
    for (int i = 0; i < kSignals; ++i) ::sigaction(kSignalList[i], &saved_[i], nullptr);
    ::sigaltstack(&saved_stack_, nullptr);
    if (as_capped_) ::setrlimit(RLIMIT_AS, &saved_as_);
#endif
    if (g_current.repro_fd >= 0) {
      ::close(g_current.repro_fd);
      g_current.repro_fd = -1;
      std::error_code ec;
      fs::remove(g_current.repro_path, ec);
    }
  }
  Guards(const Guards&) = delete;
  Guards& operator=(const Guards&) = delete;

  /// Publishes the input about to be parsed.
  static void begin(const std::string& text, const std::string& label) {
    {
      std::lock_guard lock(g_current.mutex);
      g_current.data = text.data();
      g_current.size = text.size();
      std::snprintf(g_current.label, sizeof g_current.label, "%s", label.c_str());
    }
    g_current.started_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  }
  static void end() {
    g_current.started_ns = 0;
    std::lock_guard lock(g_current.mutex);
    g_current.data = nullptr;
    g_current.size = 0;
  }

 private:
  static constexpr int kSignals = 5;
  static constexpr int kSignalList[kSignals] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

  // A hang cannot be interrupted from inside the call: report it and end the process (ctest sees the failure).
  void watch() {
    while (!stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const std::int64_t started = g_current.started_ns;
      if (started == 0) continue;
      const std::int64_t now =
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
      if (now - started > hang_ns_) {
        std::lock_guard lock(g_current.mutex);
        char what[160];
        std::snprintf(what, sizeof what, "HANG (%s did not return within the hang limit)", g_current.tag.call);
        dump_current(what);
        std::_Exit(3);
      }
    }
  }

  std::int64_t hang_ns_;
  std::atomic<bool> stop_{false};
  std::thread watchdog_;
  std::vector<char> stack_;
  stack_t saved_stack_{};
  struct sigaction saved_[kSignals] {};
  rlimit saved_as_{};
  bool as_capped_ = false;
};

}  // namespace gridswarm::test::fuzz
