// The active set of an agent's last day-ahead plan, kept in the agent's structure-of-arrays row (and so in its
// checkpoint record) as the starting guess of its next hourly re-plan (docs/agents.md, "Warm start").
//
// Plans are re-solved every hour over a horizon shifted by one hour, so the previous plan's active set shifted by one
// step is nearly the new one: the active-set method then needs one or two Riccati sweeps instead of a cold start
// (for batteries and EVs an interior-point run with crossover). The guess only chooses where the exact active-set
// method starts; the plan is still the QP's optimum (a verified KKT point), and since the guess depends only on the
// agent's own history, plans stay independent of the thread or rank that computes them.
#pragma once

#include <cstdint>

namespace gridswarm::agents {

/// Stages and variables per stage (two inputs and the state) a PlanActiveSet holds: the 48-hour plan.
inline constexpr int kActiveSetStages = 48;
inline constexpr int kActiveSetVarsPerStage = 3;

/// 2 bits per variable (qp::BoundStatus: 0 free, 1 lower, 2 upper) of variable v = t * 3 + k in bits [2v, 2v + 2)
/// (288 bits: words 0-3 and the low half of word 4); the top 32 bits of word 4 hold the plan's start hour + 1
/// (t_s / 3600 + 1; 0: no active set stored). 40 bytes, trivially copyable (a column of the SoA).
struct PlanActiveSet {
  std::uint64_t word[5] = {0, 0, 0, 0, 0};
};

/// Store the active set `status` (stages * vars entries, stages <= 48, vars <= 3, entries 0-2) of a plan that starts
/// at t_s (seconds); only plans on whole hours (t_s >= 0, t_s % 3600 == 0) are kept, otherwise `m` is cleared.
void store_plan_active_set(PlanActiveSet& m, std::int64_t t_s, const signed char* status, int stages, int vars);

/// The starting guess for a plan of `stages` x `vars` that starts at t_s: the stored set shifted by the whole hours
/// elapsed since it was stored (stage t takes stored stage t + shift, the last stored stage repeated at the end).
/// False (nothing written) when nothing is stored, t_s is not a whole hour or the shift is negative or not below
/// `stages`. A column holds one shape (the caller's stages and vars are those it stored).
bool shifted_plan_active_set(const PlanActiveSet& m, std::int64_t t_s, signed char* status, int stages, int vars);

}  // namespace gridswarm::agents
