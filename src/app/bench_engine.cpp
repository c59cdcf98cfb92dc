#include "app/bench_engine.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <ostream>

#include "app/csv.hpp"
#include "app/rss.hpp"
#include "engine/engine.hpp"
#include "util/error.hpp"

namespace gridswarm::app {

namespace {

using clock_type = std::chrono::steady_clock;

double elapsed_us(clock_type::time_point t0, clock_type::time_point t1) {
  return std::chrono::duration<double, std::micro>(t1 - t0).count();
}

/// One instance's share of a run: its step times and counters, written by its own thread only.
struct alignas(64) InstanceRun {  // own cache line: the counters are written every step by one thread
  std::vector<double> step_us;
  std::vector<char> step_refactored;
  long converged = 0;
  long iterations = 0;
  long control_iterations = 0;
  long refactorizations = 0;
};

void step_instance(engine::Engine& eng, const std::vector<double>& mults, int steps, InstanceRun& run) {
  run.step_us.reserve(static_cast<size_t>(steps));
  for (int k = 0; k < steps; ++k) {
    const double mult = mults[static_cast<size_t>(k) % mults.size()];
    const auto t0 = clock_type::now();
    const auto res = eng.solve_step(mult);
    run.step_us.push_back(elapsed_us(t0, clock_type::now()));
    run.step_refactored.push_back(res.refactorizations > 0 ? 1 : 0);
    run.converged += res.converged ? 1 : 0;
    run.iterations += res.iterations;
    run.control_iterations += res.control_iterations;
    run.refactorizations += res.refactorizations;
  }
}

/// Engines of one run, kept alive after the parallel region so the caller can measure their resident memory.
struct PhaseRun {
  BenchPhase phase;
  std::vector<std::optional<engine::Engine>> engines;
};

/// Captures the first exception thrown by any thread, to rethrow on the calling thread (exceptions must not leave
/// an OpenMP region).
class FirstError {
 public:
  void capture() {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::current_exception();
    failed_.store(true);
  }
  [[nodiscard]] bool failed() const { return failed_.load(); }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

/// Compile one instance with the bench's solver settings (those given override the script's) and solve the snapshot.
engine::Engine compile_and_solve(const BenchOptions& opt) {
  engine::Engine e = engine::Engine::compile(opt.feeder);
  if (opt.max_iterations > 0) e.settings().max_iterations = opt.max_iterations;
  if (opt.max_control_iterations > 0) e.settings().max_control_iterations = opt.max_control_iterations;
  e.solve();
  return e;
}

PhaseRun run_phase(const BenchOptions& opt, const std::vector<double>& mults, int threads) {
  PhaseRun out;
  out.engines.resize(static_cast<size_t>(threads));
  std::vector<InstanceRun> runs(static_cast<size_t>(threads));
  FirstError error;
  clock_type::time_point start, stop;
  int team = 0;
#pragma omp parallel num_threads(threads)
  {
#pragma omp master
    team = omp_get_num_threads();
    const auto me = static_cast<size_t>(omp_get_thread_num());
    try {
      // OpenDSS's daily procedure: compile, snapshot solve, then `set mode=daily` and one solve per step.
      out.engines[me].emplace(compile_and_solve(opt));
      out.engines[me]->settings().stepsize_s = 900;
      out.engines[me]->begin_time_series();
    } catch (...) {
      error.capture();
    }
#pragma omp barrier
#pragma omp master
    start = clock_type::now();
    if (!error.failed()) {
      try {
        step_instance(*out.engines[me], mults, opt.steps, runs[me]);
      } catch (...) {
        error.capture();
      }
    }
#pragma omp barrier
#pragma omp master
    stop = clock_type::now();
  }
  error.rethrow();
  if (team != threads) {
    throw Error("OpenMP ran " + std::to_string(team) + " threads instead of " + std::to_string(threads) +
                " (check OMP_THREAD_LIMIT)");
  }
  out.phase.threads = threads;
  out.phase.steps = opt.steps;
  out.phase.wall_s = elapsed_us(start, stop) * 1e-6;
  for (auto& r : runs) {
    out.phase.step_us.insert(out.phase.step_us.end(), r.step_us.begin(), r.step_us.end());
    out.phase.step_refactored.insert(out.phase.step_refactored.end(), r.step_refactored.begin(),
                                     r.step_refactored.end());
    out.phase.converged_steps += r.converged;
    out.phase.iterations += r.iterations;
    out.phase.control_iterations += r.control_iterations;
    out.phase.refactorizations += r.refactorizations;
  }
  return out;
}

std::string format_double(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

}  // namespace

static long marginal_instance_rss_kb(const BenchOptions& opt) {
  constexpr int kExtra = 16;
  std::vector<engine::Engine> engines;
  engines.reserve(kExtra + 1);
  engines.push_back(compile_and_solve(opt));  // warm-up: allocator pools and parser scratch
  const long before = rss_kb();
  for (int k = 0; k < kExtra; ++k) engines.push_back(compile_and_solve(opt));
  const long after = rss_kb();
  return (before >= 0 && after >= 0) ? (after - before) / kExtra : -1;
}

static void append_phase(BenchPhase& into, const BenchPhase& round) {
  into.threads = round.threads;
  into.steps = round.steps;
  into.step_us.insert(into.step_us.end(), round.step_us.begin(), round.step_us.end());
  into.step_refactored.insert(into.step_refactored.end(), round.step_refactored.begin(), round.step_refactored.end());
  into.wall_s += round.wall_s;
  into.converged_steps += round.converged_steps;
  into.iterations += round.iterations;
  into.control_iterations += round.control_iterations;
  into.refactorizations += round.refactorizations;
}

double BenchPhase::solves_per_s() const { return wall_s > 0.0 ? static_cast<double>(threads) * steps / wall_s : 0.0; }

double percentile(std::vector<double> sample, double q) {
  if (sample.empty()) return 0.0;
  // Nearest rank: the smallest value with at least q of the sample at or below it.
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sample.size())));
  const size_t k = std::min(sample.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(k), sample.end());
  return sample[k];
}

std::filesystem::path find_shipped_input(const std::filesystem::path& relative, const std::string& what,
                                         const std::string& hint) {
  namespace fs = std::filesystem;
  const fs::path rel = fs::path("inputs") / relative;
  std::vector<fs::path> candidates;
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / rel);
    candidates.push_back(exe.parent_path() / rel);
  }
  candidates.push_back(fs::current_path() / rel);
#ifdef GRIDSWARM_SOURCE_INPUTS
  candidates.push_back(fs::path(GRIDSWARM_SOURCE_INPUTS) / relative);  // the source tree this binary was built from
#endif
  std::string tried;
  for (const auto& c : candidates) {
    if (fs::is_regular_file(c)) return c;
    tried += ' ';
    tried += c.string();
  }
  // Appended piecewise: `"literal" + std::string&&` trips GCC 12's -Wrestrict false positive.
  std::string msg = "default ";
  msg += what;
  msg += " not found (tried";
  msg += tried;
  msg += "); ";
  msg += hint;
  throw Error(msg);
}

std::filesystem::path default_bench_loadshape() {
  return find_shipped_input(std::filesystem::path("loadshapes") / "bench_loadshape_96.csv", "load shape",
                            "pass --loadshape FILE");
}

BenchReport run_bench(const BenchOptions& opt) {
  if (opt.steps < 1) throw Error("--steps must be at least 1");
  if (opt.threads < 1) throw Error("--threads must be at least 1");
  const auto mults = read_loadshape_csv(opt.loadshape);
  omp_set_dynamic(0);
  BenchReport rep;
  rep.feeder_file = opt.feeder.string();
  rep.loadshape_file = opt.loadshape.string();
  // The threads-wide run comes first, so that its resident-memory increase is not hidden by heap pages a previous
  // run freed but kept.
  const long rss_before_kb = rss_kb();
  for (int round = 0; round < opt.repeat; ++round) {
    auto run = run_phase(opt, mults, opt.threads);
    if (round == 0) {
      const long rss_after_kb = rss_kb();
      rep.rss_kb_per_instance =
          (rss_before_kb >= 0 && rss_after_kb >= 0) ? (rss_after_kb - rss_before_kb) / opt.threads : -1;
      const auto& eng = *run.engines.front();
      rep.feeder = eng.name();
      rep.nodes = eng.num_nodes();
      rep.max_iterations = eng.settings().max_iterations;
      rep.max_control_iterations = eng.settings().max_control_iterations;
      rep.engine_kb = static_cast<double>(eng.memory_bytes()) / 1024.0;
    }
    append_phase(rep.parallel, run.phase);
    rep.parallel_rates.push_back(run.phase.solves_per_s());
    if (opt.threads > 1) {
      const auto single = run_phase(opt, mults, 1).phase;
      append_phase(rep.single, single);
      rep.single_rates.push_back(single.solves_per_s());
    }
  }
  rep.rss_kb_per_extra_instance = marginal_instance_rss_kb(opt);
  if (opt.threads == 1) {
    rep.single = rep.parallel;
    rep.single_rates = rep.parallel_rates;
  }
  return rep;
}

nlohmann::json to_json(const BenchReport& rep) {
  const auto& p = rep.parallel;
  const double single_rate = percentile(rep.single_rates, 0.5);
  const double parallel_rate = percentile(rep.parallel_rates, 0.5);
  const double solves = static_cast<double>(p.step_us.size());
  nlohmann::json j;
  j["feeder"] = rep.feeder;
  j["feeder_file"] = rep.feeder_file;
  j["loadshape_file"] = rep.loadshape_file;
  j["nodes"] = rep.nodes;
  j["threads"] = p.threads;
  j["steps"] = p.steps;
  j["step_us_median"] = percentile(p.step_us, 0.5);
  j["step_us_p90"] = percentile(p.step_us, 0.9);
  j["repeat"] = rep.parallel_rates.size();
  j["solves_per_s"] = parallel_rate;
  j["single_thread_solves_per_s"] = single_rate;
  // Parallel efficiency: throughput of T instances over T times the 1-instance throughput (medians over rounds),
  // and the same from per-step medians, which ignores stragglers at the end of a run.
  j["efficiency"] = single_rate > 0.0 ? parallel_rate / (p.threads * single_rate) : 0.0;
  const double single_median = percentile(rep.single.step_us, 0.5);
  const double parallel_median = percentile(p.step_us, 0.5);
  j["efficiency_step_median"] = parallel_median > 0.0 ? single_median / parallel_median : 0.0;
  j["single_thread_step_us_median"] = single_median;
  // The same split by steps that refactorised Y and steps that did not: which kind of step loses speed when
  // instances run side by side (refactorisations stream the whole factor and are the most memory-bound part).
  const auto split = [](const BenchPhase& ph, bool refactored) {
    std::vector<double> v;
    for (size_t k = 0; k < ph.step_us.size() && k < ph.step_refactored.size(); ++k)
      if ((ph.step_refactored[k] != 0) == refactored) v.push_back(ph.step_us[k]);
    return v;
  };
  for (const bool refactored : {true, false}) {
    const std::string key = refactored ? "refactoring" : "other";
    const auto par = split(p, refactored), one = split(rep.single, refactored);
    double par_sum = 0.0, one_sum = 0.0;
    for (const double x : par) par_sum += x;
    for (const double x : one) one_sum += x;
    j["steps_" + key] = par.size();
    j["step_us_median_" + key] = par.empty() ? 0.0 : percentile(par, 0.5);
    j["single_thread_step_us_median_" + key] = one.empty() ? 0.0 : percentile(one, 0.5);
    j["step_us_total_" + key] = par_sum;
    j["single_thread_step_us_total_" + key] = one_sum;
  }
  j["rss_kb_per_instance"] = rep.rss_kb_per_instance;
  j["rss_kb_per_extra_instance"] = rep.rss_kb_per_extra_instance;
  j["engine_kb"] = rep.engine_kb;
  j["converged_steps"] = p.converged_steps;
  j["solves"] = static_cast<long>(solves);
  j["iterations_mean"] = solves > 0 ? static_cast<double>(p.iterations) / solves : 0.0;
  j["control_iterations_mean"] = solves > 0 ? static_cast<double>(p.control_iterations) / solves : 0.0;
  j["refactorizations_mean"] = solves > 0 ? static_cast<double>(p.refactorizations) / solves : 0.0;
  j["max_iterations"] = rep.max_iterations;
  j["max_control_iterations"] = rep.max_control_iterations;
  return j;
}

void print_human(const BenchReport& rep, std::ostream& out) {
  const auto j = to_json(rep);
  out << "feeder               " << rep.feeder << " (" << rep.feeder_file << "), " << rep.nodes << " nodes\n";
  out << "load shape           " << rep.loadshape_file << "\n";
  out << "instances x steps    " << rep.parallel.threads << " x " << rep.parallel.steps
      << " (one instance per thread)\n";
  out << "step time            median " << format_double("%.1f", j["step_us_median"].get<double>()) << " us, p90 "
      << format_double("%.1f", j["step_us_p90"].get<double>()) << " us\n";
  out << "throughput           " << format_double("%.1f", j["solves_per_s"].get<double>())
      << " solves/s (1 thread: " << format_double("%.1f", j["single_thread_solves_per_s"].get<double>()) << ")\n";
  out << "parallel efficiency  " << format_double("%.3f", j["efficiency"].get<double>()) << "\n";
  out << "memory per instance  " << rep.rss_kb_per_instance << " KiB resident, engine "
      << format_double("%.1f", rep.engine_kb) << " KiB\n";
  out << "converged steps      " << rep.parallel.converged_steps << " of " << j["solves"].get<long>()
      << ", mean iterations " << format_double("%.2f", j["iterations_mean"].get<double>()) << " (control "
      << format_double("%.2f", j["control_iterations_mean"].get<double>()) << ", refactorisations "
      << format_double("%.2f", j["refactorizations_mean"].get<double>()) << "; limits " << rep.max_iterations << " / "
      << rep.max_control_iterations << ")\n";
}

}  // namespace gridswarm::app
