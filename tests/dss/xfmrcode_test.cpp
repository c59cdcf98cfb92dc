// XfmrCode (XfmrCode.pas) and a Transformer's `XfmrCode=` (Transformer.pas FetchXfmrCode): the code's values are
// copied into the transformer where the property is written; later properties override them. Also the CapControl
// power-factor settings.
#include <gtest/gtest.h>

#include "dss_test_util.hpp"

namespace gridswarm::dss::test {
namespace {

// The IEEE 8500 centre-tapped service transformer code, as LoadXfmrCodes.dss writes it.
const char* const kCt15 =
    "New XfmrCode.CT15 phases=1 windings=3 kvs=[7.2 0.12 0.12] kVAs=[15.0 15.0 15.0] %imag=0.5 %Rs=[0.6 1.2 1.2] "
    "%noloadloss=.2 Xhl=2.04 Xht=2.04 Xlt=1.36\n";

TEST(XfmrCode, CopiesEveryWindingAndTheTransformerData) {
  const Circuit c = read_body(std::string(kCt15) + "New Transformer.T1 XfmrCode=CT15 buses=[L1.1 X1.1.0 X1.0.2]\n");
  ASSERT_EQ(c.transformers.size(), 1u);
  const TransformerDef& t = c.transformers[0];
  EXPECT_EQ(t.xfmrcode, "ct15");
  EXPECT_EQ(t.phases, 1);
  ASSERT_EQ(t.windings.size(), 3u);
  const double kv[] = {7.2, 0.12, 0.12}, r[] = {0.6, 1.2, 1.2};
  const char* const bus[] = {"l1.1", "x1.1.0", "x1.0.2"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(t.windings[i].kv, kv[i]);
    EXPECT_DOUBLE_EQ(t.windings[i].kva, 15.0);
    EXPECT_DOUBLE_EQ(t.windings[i].r_pct, r[i]);
    EXPECT_EQ(t.windings[i].bus, bus[i]);
    EXPECT_EQ(t.windings[i].conn, Connection::wye);
  }
  EXPECT_DOUBLE_EQ(t.xhl_pct, 2.04);
  EXPECT_DOUBLE_EQ(t.xht_pct, 2.04);
  EXPECT_DOUBLE_EQ(t.xlt_pct, 1.36);
  EXPECT_DOUBLE_EQ(t.pct_imag, 0.5);
  EXPECT_DOUBLE_EQ(t.pct_noloadloss, 0.2);
  EXPECT_DOUBLE_EQ(t.ppm_antifloat, 1.0);
}

TEST(XfmrCode, LaterPropertiesOverrideAndEarlierBusesAreKept) {
  const Circuit c = read_body(std::string(kCt15) +
                              "New Transformer.T2 buses=[a.1 b.1.0] XfmrCode=ct15 wdg=3 bus=b.0.2 kVA=25 %imag=1\n"
                              "New Transformer.T3 phases=3 XfmrCode=ct15\n");
  const TransformerDef& t = c.transformers[0];
  ASSERT_EQ(t.windings.size(), 3u);
  EXPECT_EQ(t.windings[0].bus, "a.1");  // terminal data survive the code
  EXPECT_EQ(t.windings[1].bus, "b.1.0");
  EXPECT_EQ(t.windings[2].bus, "b.0.2");
  EXPECT_DOUBLE_EQ(t.windings[2].kva, 25.0);
  EXPECT_DOUBLE_EQ(t.windings[0].kva, 15.0);
  EXPECT_DOUBLE_EQ(t.pct_imag, 1.0);
  // The code's phase count replaces what was written before it.
  EXPECT_EQ(c.transformers[1].phases, 1);
}

TEST(XfmrCode, SideEffectsAndLike) {
  const Circuit c = read_body(
      "New XfmrCode.a phases=3 windings=2 kvs=[115 12.47] kva=5000 %loadloss=1 xhl=8\n"
      "New XfmrCode.b like=a conns=[delta wye]\n"
      "New Transformer.t XfmrCode=b buses=[s l]\n");
  const TransformerDef& t = c.transformers[0];
  EXPECT_DOUBLE_EQ(t.windings[1].kva, 5000.0);  // kVA of winding 1 copied to the others
  EXPECT_DOUBLE_EQ(t.windings[0].r_pct, 0.5);   // %loadloss split over windings 1 and 2
  EXPECT_DOUBLE_EQ(t.windings[1].r_pct, 0.5);
  EXPECT_EQ(t.windings[0].conn, Connection::delta);
  EXPECT_DOUBLE_EQ(t.windings[0].kv, 115.0);
  EXPECT_DOUBLE_EQ(t.xhl_pct, 8.0);
}

TEST(XfmrCode, UnknownCodeAndBusPropertyAreErrors) {
  EXPECT_NE(error_of<ModelError>([] { read_body("New Transformer.t XfmrCode=nope\n"); }).find("'nope' is not defined"),
            std::string::npos);
  EXPECT_NE(error_of<ParseError>([] { read_body("New XfmrCode.c buses=[a b]\n"); }).find("unknown property 'buses'"),
            std::string::npos);
}

TEST(CapControl, PowerFactorSettings) {
  const std::string head =
      "New Capacitor.k bus1=a kvar=100\n"
      "New Line.l bus1=a bus2=b\n";
  const Circuit c = read_body(head +
                              "New CapControl.p element=Line.l capacitor=k type=pf on=0.9 off=-0.97 pctminkvar=30\n"
                              "New CapControl.q element=Line.l capacitor=k on=0.9 type=pf\n");
  EXPECT_EQ(c.capcontrols[0].type, "pf");
  EXPECT_DOUBLE_EQ(c.capcontrols[0].pf_on, 0.9);
  EXPECT_DOUBLE_EQ(c.capcontrols[0].pf_off, 2.0 - 0.97);  // leading: above 1 on OpenDSS's 0..2 scale
  EXPECT_DOUBLE_EQ(c.capcontrols[0].pct_minkvar, 30.0);
  // Written before type=pf, ONsetting is a current setting; type=pf resets the pf thresholds to their defaults.
  EXPECT_DOUBLE_EQ(c.capcontrols[1].pf_on, 0.95);
  EXPECT_DOUBLE_EQ(c.capcontrols[1].pf_off, 1.05);
  EXPECT_NE(error_of<ModelError>([&] {
              read_body(head + "New CapControl.r element=Line.l capacitor=k type=pf on=300\n");
            }).find("within -1..1"),
            std::string::npos);
}

}  // namespace
}  // namespace gridswarm::dss::test
