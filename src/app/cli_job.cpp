#include "app/cli_job.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iomanip>
#include <ostream>
#include <regex>
#include <sstream>

#include "util/error.hpp"

namespace gridswarm::app {

// Memory model constants (MemoryModel), measured on this project's machine with `gridswarm run`, 1 rank, jemalloc,
// peak RSS from /usr/bin/time (2026-11-22), on variants of inputs/studies/small.toml:
//   - 6 feeders and 33 agents: 32.6 MB. That is the floor of a rank (libraries, MPI, HDF5, the study): ~31 MiB. We
//     budget 64 MiB, since MPI and collective HDF5 buffers grow with the rank count and were not measured at scale.
//   - 6 -> 180 feeder copies of the same mix (mean 138 circuit nodes), agents nearly unchanged: +51.7 MB, 297 KiB per
//     copy = 2.15 KiB per node. `gridswarm bench engine` gives 1.6-2.0 KiB per node for an engine instance alone
//     (README, "RSS per extra instance"); the rest is the feeder's metrics and output buffers.
//   - 678 -> 20,110 agents on the same 6 feeders: +13.9 MB = 0.73 KiB per agent. The same study over 1 day instead
//     of 2 hours peaks within 1 %: memory does not grow with the duration (outputs are flushed per interval).
// The safety factor covers the spread between agent types and allocators (glibc's arenas take more than jemalloc).

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kEqualStep = 1.03;  // candidates within 3 % of the best step time count as equal
constexpr double kTimeSafety = 2.0;  // time limit = 2 x predicted + 5 min, at least 10 min
constexpr double kTimeMarginS = 300.0;
constexpr double kTimeFloorS = 600.0;

/// Longest processing time first on `threads` threads: the rank's loop over feeders (dynamic schedule, most
/// expensive first). Returns the makespan.
double lpt_makespan(std::vector<double> costs, int threads) {
  std::sort(costs.begin(), costs.end(), std::greater<>());
  std::vector<double> load(static_cast<size_t>(threads), 0.0);
  for (double c : costs) *std::min_element(load.begin(), load.end()) += c;
  return *std::max_element(load.begin(), load.end());
}

JobCandidate evaluate(std::span<const partition::FeederCost> costs, std::span<const double> bytes,
                      std::span<const double> auction_us, int nodes, int ranks_per_node, int cores,
                      double mem_bytes_per_node, const MemoryModel& model) {
  JobCandidate c;
  c.ranks_per_node = ranks_per_node;
  c.threads = cores / ranks_per_node;
  c.ranks = nodes * ranks_per_node;
  const partition::Assignment a = partition::partition_feeders(costs, c.ranks);
  c.imbalance = a.imbalance();
  int ndsos = 0;
  for (const auto& f : costs) ndsos = std::max(ndsos, f.dso + 1);
  std::vector<double> dso_auction_us(static_cast<size_t>(ndsos), 0.0);
  for (size_t i = 0; i < costs.size(); ++i) dso_auction_us[static_cast<size_t>(costs[i].dso)] += auction_us[i];

  std::vector<std::vector<double>> threaded_us(static_cast<size_t>(c.ranks));
  std::vector<std::vector<bool>> has_dso(static_cast<size_t>(c.ranks), std::vector<bool>(dso_auction_us.size()));
  std::vector<double> node_bytes(static_cast<size_t>(nodes), ranks_per_node * model.rank_base_bytes);
  double total = 0.0;
  for (size_t i = 0; i < costs.size(); ++i) {
    const auto r = static_cast<size_t>(a.rank_of_feeder[static_cast<size_t>(costs[i].feeder)]);
    threaded_us[r].push_back(std::max(costs[i].cost - auction_us[i], 0.0));
    has_dso[r][static_cast<size_t>(costs[i].dso)] = true;
    node_bytes[r / static_cast<size_t>(ranks_per_node)] += bytes[i];
    total += costs[i].cost;
  }
  bool idle_rank = false;
  for (size_t r = 0; r < threaded_us.size(); ++r) {
    idle_rank = idle_rank || threaded_us[r].empty();
    // step = LPT makespan of the threaded part + the auctions of the rank's DSOs (master thread)
    double step = threaded_us[r].empty() ? 0.0 : lpt_makespan(threaded_us[r], c.threads);
    for (size_t d = 0; d < dso_auction_us.size(); ++d) step += has_dso[r][d] ? dso_auction_us[d] : 0.0;
    c.step_us = std::max(c.step_us, step);
  }
  c.efficiency = c.step_us > 0.0 ? total / (c.ranks * c.threads * c.step_us) : 0.0;
  c.mem_bytes_per_node = *std::max_element(node_bytes.begin(), node_bytes.end());
  c.fits = !idle_rank && c.mem_bytes_per_node * model.safety <= mem_bytes_per_node;
  return c;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

std::string fixed(double x, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << x;
  return s.str();
}

/// The candidates as comment lines, the chosen one marked.
std::string candidate_table(const std::vector<JobCandidate>& cands, int chosen, const MemoryModel& model) {
  std::ostringstream s;
  s << "#   ranks/node x threads  ranks  imbalance  step_ms  efficiency  mem/node_GiB\n";
  for (size_t i = 0; i < cands.size(); ++i) {
    const auto& c = cands[i];
    s << "#   " << std::setw(10) << c.ranks_per_node << " x " << std::left << std::setw(7) << c.threads << std::right
      << std::setw(7) << c.ranks << std::setw(11) << fixed(c.imbalance, 3) << std::setw(9)
      << fixed(c.step_us / 1000.0, 2) << std::setw(12) << fixed(c.efficiency, 2) << std::setw(14)
      << fixed(c.mem_bytes_per_node * model.safety / kGiB, 2)
      << (static_cast<int>(i) == chosen ? "  <- chosen" : (c.fits ? "" : "  (does not fit)")) << "\n";
  }
  return s.str();
}

std::string study_note(const runtime::StudySpec& study, long agents) {
  long feeders = 0;
  for (const auto& g : study.feeder_groups) feeders += g.copies;
  return std::to_string(feeders) + " feeders, " + std::to_string(study.dsos.size()) + " DSOs, " +
         std::to_string(agents) + " agents expected, " + std::to_string(study.steps()) + " steps";
}

struct Sizing {
  int nodes = 1;
  std::vector<JobCandidate> candidates;
  int chosen = -1;
};

/// The given node count, or the fewest nodes (up to one per feeder) on which some candidate fits.
Sizing size_job(std::span<const partition::FeederCost> costs, std::span<const double> bytes,
                std::span<const double> auction_us, const JobOptions& opt, const MemoryModel& model) {
  const double mem = opt.mem_per_node_gb * kGiB;
  const int max_nodes = opt.nodes > 0 ? opt.nodes : static_cast<int>(costs.size());
  for (int n = opt.nodes > 0 ? opt.nodes : 1; n <= max_nodes; ++n) {
    Sizing s{n, job_candidates(costs, bytes, auction_us, n, opt.cores_per_node, mem, model), -1};
    s.chosen = choose_candidate(s.candidates);
    if (s.chosen >= 0 || n == max_nodes) return s;
  }
  return {};
}

std::string resources_block(const runtime::StudySpec& study, const JobOptions& opt, const Sizing& s,
                            double total_cost_us, long agents, const std::string& time_limit, double wall_s,
                            const MemoryModel& model) {
  const JobCandidate& c = s.candidates[static_cast<size_t>(s.chosen)];
  std::ostringstream b;
  b << "# Written by: gridswarm job " << opt.study.string() << " --cores-per-node " << opt.cores_per_node
    << " --mem-per-node-gb " << opt.mem_per_node_gb;
  if (opt.nodes > 0) b << " --nodes " << opt.nodes;
  if (!opt.time.empty()) b << " --time " << opt.time;
  b << "\n# Study " << study.name << ": " << study_note(study, agents) << ";\n# cost model " << fixed(total_cost_us, 0)
    << " us per step in all (partition/partition.cpp).\n"
    << "# Memory model: " << fixed(model.rank_base_bytes / (1024 * 1024), 0) << " MiB per rank + "
    << fixed(model.bytes_per_node / 1024, 2) << " KiB per circuit node + " << fixed(model.bytes_per_agent / 1024, 2)
    << " KiB per agent, x" << model.safety << " (src/app/cli_job.cpp).\n"
    << "# Candidates on " << s.nodes << " node(s) of " << opt.cores_per_node << " cores: imbalance = max/mean of"
    << " the rank costs (partition_feeders);\n#   step = the slowest rank: its feeders on its threads (LPT) + the "
       "auctions"
    << " of its DSOs on the master thread.\n"
    << candidate_table(s.candidates, s.chosen, model)
    << "# Chosen: the least predicted step time; within 3 % the fewer ranks (less memory, fewer messages).\n"
    << "# Predicted run " << fixed(wall_s, 1) << " s (" << study.steps() << " steps); time limit "
    << (opt.time.empty() ? "2 x that + 5 min, at least 10 min" : "as given") << ".\n"
    << "#SBATCH --job-name=gridswarm-" << study.name << "\n"
    << "#SBATCH --nodes=" << s.nodes << "\n"
    << "#SBATCH --ntasks-per-node=" << c.ranks_per_node << "\n"
    << "#SBATCH --cpus-per-task=" << c.threads << "\n"
    << "#SBATCH --mem=" << std::max(1L, static_cast<long>(std::ceil(c.mem_bytes_per_node * model.safety / kGiB)))
    << "G\n"
    << "#SBATCH --time=" << time_limit << "\n";
  return b.str();
}

}  // namespace

double feeder_bytes(const runtime::GroupCostInfo& group, const MemoryModel& model) {
  double agents = 0.0;
  for (long n : group.agents) agents += static_cast<double>(n);
  return model.bytes_per_node * group.nodes + model.bytes_per_agent * agents;
}

std::vector<JobCandidate> job_candidates(std::span<const partition::FeederCost> costs, std::span<const double> bytes,
                                         std::span<const double> auction_us, int nodes, int cores,
                                         double mem_bytes_per_node, const MemoryModel& model) {
  if (bytes.size() != costs.size() || auction_us.size() != costs.size()) {
    throw Error("job_candidates: costs, bytes and auction_us differ in size");
  }
  std::vector<JobCandidate> out;
  for (int rpn = 1; rpn <= cores; ++rpn) {
    if (cores % rpn == 0)
      out.push_back(evaluate(costs, bytes, auction_us, nodes, rpn, cores, mem_bytes_per_node, model));
  }
  return out;
}

int choose_candidate(const std::vector<JobCandidate>& candidates) {
  double best = 0.0;
  for (const auto& c : candidates) {
    if (c.fits && (best == 0.0 || c.step_us < best)) best = c.step_us;
  }
  // Candidates come in increasing rank order: the first within kEqualStep of the best has the fewest ranks.
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i].fits && candidates[i].step_us <= best * kEqualStep) return static_cast<int>(i);
  }
  return -1;
}

std::string format_time_limit(double seconds) {
  const long minutes = std::max(1L, static_cast<long>(std::ceil(seconds / 60.0)));
  const long days = minutes / (24 * 60), h = minutes / 60 % 24, m = minutes % 60;
  char buf[32];
  if (days > 0) {
    std::snprintf(buf, sizeof buf, "%ld-%02ld:%02ld:00", days, h, m);
  } else {
    std::snprintf(buf, sizeof buf, "%02ld:%02ld:00", h, m);
  }
  return buf;
}

std::string render_job_script(const std::string& template_text, const std::string& template_name,
                              const std::string& resources_block, const std::string& defaults_block) {
  std::string text = template_text;
  for (const auto& [name, block] :
       {std::pair{std::string("resources"), resources_block}, std::pair{std::string("defaults"), defaults_block}}) {
    const std::string open = "# >>> " + name + "\n", close = "# <<< " + name + "\n";
    const size_t a = text.find(open);
    const size_t b = a == std::string::npos ? a : text.find(close, a);
    if (b == std::string::npos) {
      throw Error(template_name + ": no '# >>> " + name + "' ... '# <<< " + name + "' block (is it the template?)");
    }
    text.replace(a + open.size(), b - a - open.size(), block);
  }
  return text;
}

std::filesystem::path find_job_template() {
  namespace fs = std::filesystem;
  const fs::path rel = fs::path("jobs") / "run-multi.sbatch";
  std::vector<fs::path> dirs;
  if (const char* home = std::getenv("GRIDSWARM_HOME"); home != nullptr && *home != '\0') dirs.emplace_back(home);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path d = exe.parent_path(); !d.empty() && d != d.root_path(); d = d.parent_path()) dirs.push_back(d);
  }
  dirs.push_back(fs::current_path());
  for (const auto& d : dirs) {
    if (fs::is_regular_file(d / rel)) return fs::absolute(d / rel);
  }
  throw Error("cannot find the job template " + rel.string() + " (set GRIDSWARM_HOME or use --template)");
}

CLI::App* add_job_command(CLI::App& app, JobOptions& options) {
  auto* cmd = app.add_subcommand("job", "Size a Slurm job for a study (ranks x threads, memory, time) and write it");
  cmd->add_option("study", options.study, "Study .toml (format: docs/study.md)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--cores-per-node", options.cores_per_node, "Cores of one node")
      ->required()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--mem-per-node-gb", options.mem_per_node_gb, "Memory of one node usable by jobs, GiB")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--nodes", options.nodes, "Nodes (default: the fewest whose memory holds the study)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--time", options.time, "Time limit [D-]HH:MM:SS (default: 2 x the predicted run + 5 min)")
      ->check(CLI::Validator(
          [](const std::string& s) {
            const bool ok = std::regex_match(s, std::regex(R"(^(\d+-)?\d{1,3}:[0-5]\d:[0-5]\d$)"));
            return ok ? std::string() : "expected [D-]HH:MM:SS, got '" + s + "'";
          },
          "[D-]HH:MM:SS"));
  cmd->add_option("-o,--output", options.output, "Job script to write (default: print it)");
  cmd->add_option("--template", options.template_file, "Template (default: the repository's jobs/run-multi.sbatch)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--run-output", options.run_output, "HDF5 file the job writes (default: <study name>.h5)");
  return cmd;
}

void run_job(const JobOptions& options, std::ostream& out, std::ostream& err) {
  namespace fs = std::filesystem;
  const MemoryModel model;
  const runtime::StudySpec study = runtime::load_study(options.study);
  const std::vector<runtime::GroupCostInfo> groups = runtime::group_costs(study);
  std::vector<long> customers;
  for (const auto& g : groups) customers.push_back(g.customers);
  const auto feeders = runtime::expand_feeders(study, customers);
  const auto costs = runtime::feeder_costs(study, feeders, groups);
  std::vector<double> bytes, auction_us;
  long agents = 0;
  double total_cost_us = 0.0;
  for (const auto& f : feeders) {
    const auto& g = groups[static_cast<size_t>(f.group)];
    bytes.push_back(feeder_bytes(g, model));
    double bidding = 0.0;
    for (int t = 0; t < agents::kAgentTypes; ++t) {
      if (agents::AgentType(t) != agents::AgentType::pv)
        bidding += static_cast<double>(g.agents[static_cast<size_t>(t)]);
    }
    auction_us.push_back(kAuctionUsPerBiddingAgent * bidding);
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    for (long n : groups[g].agents) agents += n * study.feeder_groups[g].copies;
  }
  for (const auto& c : costs) total_cost_us += c.cost;

  const Sizing s = size_job(costs, bytes, auction_us, options, model);
  if (s.chosen < 0) {
    double least = 0.0;
    for (const auto& c : s.candidates)
      least = least == 0.0 ? c.mem_bytes_per_node : std::min(least, c.mem_bytes_per_node);
    throw Error(options.study.string() + ": does not fit on " + std::to_string(s.nodes) + " node(s) of " +
                fixed(options.mem_per_node_gb, 1) + " GiB: the fullest node needs " +
                fixed(least * model.safety / kGiB, 2) + " GiB (estimate x" + fixed(model.safety, 1) + ")" +
                (options.nodes > 0 ? "; use more --nodes" : "; every feeder on its own node is not enough"));
  }
  const JobCandidate& c = s.candidates[static_cast<size_t>(s.chosen)];
  const double wall_s = c.step_us * 1e-6 * static_cast<double>(study.steps());
  const std::string limit = options.time.empty()
                                ? format_time_limit(std::max(kTimeFloorS, kTimeSafety * wall_s + kTimeMarginS))
                                : options.time;

  const fs::path tmpl = options.template_file.empty() ? find_job_template() : fs::absolute(options.template_file);
  std::ifstream in(tmpl);
  if (!in) throw Error(tmpl.string() + ": cannot read the job template");
  std::stringstream text;
  text << in.rdbuf();
  const std::string run_output = options.run_output.empty() ? study.name + ".h5" : options.run_output.string();
  const std::string defaults = "GS_HOME_DEFAULT=" + shell_quote(tmpl.parent_path().parent_path().string()) +
                               "\nGS_STUDY_DEFAULT=" + shell_quote(fs::absolute(options.study).string()) +
                               "\nGS_OUTPUT_DEFAULT=" + shell_quote(run_output) + "\n";
  const std::string script =
      render_job_script(text.str(), tmpl.string(),
                        resources_block(study, options, s, total_cost_us, agents, limit, wall_s, model), defaults);

  std::ostream& log = options.output.empty() ? err : out;
  log << "study " << study.name << ": " << study_note(study, agents) << "\n"
      << "candidates on " << s.nodes << " node(s) of " << options.cores_per_node << " cores:\n"
      << candidate_table(s.candidates, s.chosen, model) << "job: " << s.nodes << " node(s) x " << c.ranks_per_node
      << " ranks x " << c.threads << " threads, predicted imbalance " << fixed(c.imbalance, 3) << ", time " << limit
      << "\n";
  if (options.output.empty()) {
    out << script;
    return;
  }
  const fs::path tmp = options.output.string() + ".tmp";
  {
    std::ofstream f(tmp);
    f << script;
    if (!f) throw Error(options.output.string() + ": cannot write");
  }
  fs::rename(tmp, options.output);
  fs::permissions(options.output, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
  log << "wrote " << options.output.string() << " (submit: sbatch " << options.output.string() << ")\n";
}

}  // namespace gridswarm::app
