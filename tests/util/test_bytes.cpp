// ByteWriter / ByteReader: records round-trip bit for bit, a short record is an error naming it, and a reader cannot
// be built on a temporary vector (it keeps a view: a restart read freed memory that way).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "util/bytes.hpp"

namespace gridswarm {
namespace {

static_assert(std::is_constructible_v<ByteReader, const std::vector<std::uint8_t>&, std::string>);
static_assert(!std::is_constructible_v<ByteReader, std::vector<std::uint8_t>&&, std::string>,
              "a ByteReader on a temporary vector would read freed memory");

TEST(Bytes, RecordRoundTripsBitForBit) {
  ByteWriter w;
  const double tricky = std::nextafter(1.0, 2.0);
  w.put(tricky);
  w.put(std::int32_t{-7});
  w.put_vector(std::vector<double>{0.1, -0.0, std::numeric_limits<double>::denorm_min()});
  w.put_vector(std::vector<std::uint8_t>{});
  w.put(std::uint16_t{65535});
  const std::vector<std::uint8_t> bytes = w.take();
  EXPECT_EQ(bytes.size(), 8U + 4U + (8U + 24U) + 8U + 2U);

  ByteReader r(bytes, "test record");
  const double d = r.get<double>();
  EXPECT_EQ(std::memcmp(&d, &tricky, sizeof d), 0);
  EXPECT_EQ(r.get<std::int32_t>(), -7);
  const auto v = r.get_vector<double>();
  ASSERT_EQ(v.size(), 3U);
  EXPECT_EQ(v[0], 0.1);
  EXPECT_TRUE(std::signbit(v[1]));
  EXPECT_EQ(v[2], std::numeric_limits<double>::denorm_min());
  EXPECT_TRUE(r.get_vector<std::uint8_t>().empty());
  EXPECT_EQ(r.get<std::uint16_t>(), 65535);
}

TEST(Bytes, ShortRecordIsAnErrorNamingIt) {
  ByteWriter w;
  w.put(std::uint32_t{1});
  const std::vector<std::uint8_t> bytes = w.take();
  ByteReader r(bytes, "engine state of 'x'");
  try {
    (void)r.get<double>();
    FAIL() << "no error for a short record";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("engine state of 'x'"), std::string::npos) << e.what();
  }
}

TEST(Bytes, CorruptCountIsAnErrorNotAnAllocation) {
  ByteWriter w;
  w.put(std::uint64_t{1} << 61 | 1U);  // times 8 wraps around to 8 bytes
  w.put(0.0);
  const std::vector<std::uint8_t> bytes = w.take();
  ByteReader r(bytes, "agent state");
  EXPECT_THROW((void)r.get_vector<double>(), Error);
}

}  // namespace
}  // namespace gridswarm
