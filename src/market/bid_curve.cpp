#include "market/bid_curve.hpp"

#include <cmath>
#include <sstream>
#include <string>

#include "util/error.hpp"

namespace gridswarm::market {
namespace {

[[noreturn]] void bid_error(const BidCurve& bid, std::size_t index, const std::string& what) {
  std::ostringstream os;
  os << "retail bid of agent id " << bid.agent_id << " (index " << index << "): " << what;
  throw ModelError(os.str());
}

// q on segment k at price p, p_k <= p <= p_{k+1}, p_k < p_{k+1}:
//   q = q_k + (q_{k+1} - q_k) (p - p_k) / (p_{k+1} - p_k)
double on_segment(const BidCurve& bid, int k, double p) {
  const auto& x = bid.price_usd_per_mwh;
  const auto& q = bid.q_kw;
  if (p == x[k]) return q[k];
  if (p == x[k + 1]) return q[k + 1];
  return q[k] + (q[k + 1] - q[k]) * ((p - x[k]) / (x[k + 1] - x[k]));
}

}  // namespace

void validate_bid(const BidCurve& bid, std::size_t index) {
  for (int k = 0; k < 4; ++k) {
    const double p = bid.price_usd_per_mwh[k];
    const double q = bid.q_kw[k];
    if (!std::isfinite(p)) bid_error(bid, index, "point " + std::to_string(k) + " price is not finite");
    if (!std::isfinite(q)) bid_error(bid, index, "point " + std::to_string(k) + " quantity is not finite");
  }
  for (int k = 1; k < 4; ++k) {
    if (bid.price_usd_per_mwh[k] < bid.price_usd_per_mwh[k - 1]) {
      std::ostringstream os;
      os << "point " << k << " price " << bid.price_usd_per_mwh[k] << " USD/MWh is below point " << k - 1 << " price "
         << bid.price_usd_per_mwh[k - 1] << " (prices must be non-decreasing)";
      bid_error(bid, index, os.str());
    }
    if (bid.q_kw[k] > bid.q_kw[k - 1]) {
      std::ostringstream os;
      os << "point " << k << " quantity " << bid.q_kw[k] << " kW exceeds point " << k - 1 << " quantity "
         << bid.q_kw[k - 1] << " (net demand must not increase with price)";
      bid_error(bid, index, os.str());
    }
  }
}

double bid_right_kw(const BidCurve& bid, double p) {
  // The last point at or below p decides: past p_3 the curve is flat, otherwise p lies on the segment after it
  // (p_k <= p < p_{k+1}, so that segment is not a price step).
  const auto& x = bid.price_usd_per_mwh;
  if (p < x[0]) return bid.q_kw[0];
  int k = 3;
  while (x[k] > p) --k;
  return k == 3 ? bid.q_kw[3] : on_segment(bid, k, p);
}

double bid_left_kw(const BidCurve& bid, double p) {
  // The first point at or above p decides: before p_0 the curve is flat, otherwise p lies on the segment ending at it
  // (p_{k-1} < p <= p_k).
  const auto& x = bid.price_usd_per_mwh;
  if (p > x[3]) return bid.q_kw[3];
  int k = 0;
  while (x[k] < p) ++k;
  return k == 0 ? bid.q_kw[0] : on_segment(bid, k - 1, p);
}

double bid_dispatch_kw(const BidCurve& bid, double p, double fraction) {
  const double right = bid_right_kw(bid, p);
  if (fraction == 0.0) return right;
  const double left = bid_left_kw(bid, p);
  if (fraction == 1.0 || left == right) return left;
  return right + fraction * (left - right);
}

}  // namespace gridswarm::market
