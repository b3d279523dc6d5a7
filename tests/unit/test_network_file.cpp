// Network file: round trip, and every validation rule gives an error naming the dataset and the expectation.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <variant>

#include "error.h"
#include "h5io.h"
#include "network_file.h"
#include "random_network.h"

using namespace spikemesh;

namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "spikemesh_" + name + "_" + std::to_string(::getpid()) + ".h5";
}

// A hand-written minimal file (input (4,) -> dense -> cuba (3,)), built dataset by dataset so tests can
// corrupt exactly one thing. Values: ints with a shape, reals with a shape, or a string.
struct Ints {
  std::vector<int64_t> v;
  Shape shape;
};
struct Reals {
  std::vector<double> v;
  Shape shape;
};
using Value = std::variant<Ints, Reals, std::string>;
using Datasets = std::map<std::string, Value>;

Datasets minimal_datasets() {
  return {
      {"/populations/0/name", std::string("in")},
      {"/populations/0/kind", std::string("input")},
      {"/populations/0/shape", Ints{{4}, {1}}},
      {"/populations/0/payload_bits", Ints{{8}, {}}},
      {"/populations/1/name", std::string("hidden")},
      {"/populations/1/kind", std::string("cuba")},
      {"/populations/1/shape", Ints{{3}, {1}}},
      {"/populations/1/neuron/du", Ints{{4095}, {}}},
      {"/populations/1/neuron/vth_mant", Ints{{10, 20, 30}, {3}}},
      {"/projections/0/source", std::string("in")},
      {"/projections/0/target", std::string("hidden")},
      {"/projections/0/encoding", std::string("dense")},
      {"/projections/0/sign_mode", std::string("mixed")},
      {"/projections/0/weight_exp", Ints{{0}, {}}},
      {"/projections/0/num_weight_bits", Ints{{8}, {}}},
      {"/projections/0/weights", Ints{std::vector<int64_t>(12, 10), {3, 4}}},
      {"/projections/0/delays", Ints{{0}, {}}},
  };
}

void write_raw(const std::string& path, const Datasets& ds, int64_t version = 1,
               const std::string& format = "spikemesh-network") {
  H5File f = H5File::create(path);
  f.write_attr_string("/", "format", format);
  f.write_attr_int("/", "version", version);
  for (const auto& [name, value] : ds) {
    if (auto* i = std::get_if<Ints>(&value))
      f.write_ints(name, i->v, i->shape);
    else if (auto* r = std::get_if<Reals>(&value))
      f.write_reals(name, r->v, r->shape);
    else
      f.write_string(name, std::get<std::string>(value));
  }
}

// Loads a file made from the minimal datasets after `mutate`, and returns the error message ("" if none).
std::string load_error(const std::function<void(Datasets&)>& mutate, int64_t version = 1) {
  Datasets ds = minimal_datasets();
  mutate(ds);
  const std::string path = temp_path("invalid");
  write_raw(path, ds, version);
  try {
    read_network(path);
  } catch (const Error& e) {
    std::remove(path.c_str());
    return e.what();
  }
  std::remove(path.c_str());
  return "";
}

void expect_same(const Network& a, const Network& b) {
  ASSERT_EQ(a.populations.size(), b.populations.size());
  for (size_t i = 0; i < a.populations.size(); ++i) {
    const auto& p = a.populations[i];
    const auto& q = b.populations[i];
    EXPECT_EQ(p.name, q.name);
    EXPECT_EQ(p.shape, q.shape);
    EXPECT_EQ(p.kind, q.kind);
    EXPECT_EQ(p.arithmetic, q.arithmetic);
    ASSERT_EQ(p.params.size(), q.params.size()) << p.name;
    for (size_t k = 0; k < p.params.size(); ++k) {
      EXPECT_EQ(p.params[k].du, q.params[k].du);
      EXPECT_EQ(p.params[k].dv, q.params[k].dv);
      EXPECT_EQ(p.params[k].vth_mant, q.params[k].vth_mant);
      EXPECT_EQ(p.params[k].bias_mant, q.params[k].bias_mant);
      EXPECT_EQ(p.params[k].bias_exp, q.params[k].bias_exp);
      EXPECT_EQ(p.params[k].refract_delay, q.params[k].refract_delay);
      EXPECT_EQ(p.params[k].vmin_exp, q.params[k].vmin_exp);
      EXPECT_EQ(p.params[k].vmax_exp, q.params[k].vmax_exp);
    }
    EXPECT_EQ(p.bias_table, q.bias_table);
    EXPECT_EQ(p.bias_contexts, q.bias_contexts);
    EXPECT_EQ(p.bias_phases, q.bias_phases);
    EXPECT_EQ(p.bias_columns, q.bias_columns);
    EXPECT_EQ(p.bias_start, q.bias_start);
    EXPECT_EQ(p.reset_interval, q.reset_interval);
    EXPECT_EQ(p.reset_offset, q.reset_offset);
    EXPECT_EQ(p.payload_bits, q.payload_bits);
    EXPECT_EQ(p.payload_frac_bits, q.payload_frac_bits);
  }
  ASSERT_EQ(a.projections.size(), b.projections.size());
  for (size_t j = 0; j < a.projections.size(); ++j) {
    const auto& p = a.projections[j];
    const auto& q = b.projections[j];
    EXPECT_EQ(p.name, q.name);
    EXPECT_EQ(p.source, q.source);
    EXPECT_EQ(p.target, q.target);
    EXPECT_EQ(p.encoding, q.encoding);
    EXPECT_EQ(p.format.weight_exp, q.format.weight_exp);
    EXPECT_EQ(p.format.num_weight_bits, q.format.num_weight_bits);
    EXPECT_EQ(p.format.sign_mode, q.format.sign_mode);
    EXPECT_EQ(p.weights, q.weights);
    EXPECT_EQ(p.pre, q.pre);
    EXPECT_EQ(p.post, q.post);
    EXPECT_EQ(p.delays, q.delays);
    EXPECT_EQ(p.conv.kernel_h, q.conv.kernel_h);
    EXPECT_EQ(p.conv.kernel_w, q.conv.kernel_w);
    EXPECT_EQ(p.conv.stride_y, q.conv.stride_y);
    EXPECT_EQ(p.conv.stride_x, q.conv.stride_x);
    EXPECT_EQ(p.conv.pad_y, q.conv.pad_y);
    EXPECT_EQ(p.conv.pad_x, q.conv.pad_x);
    EXPECT_EQ(p.conv.groups, q.conv.groups);
    EXPECT_EQ(p.conv.upsample, q.conv.upsample);
    EXPECT_EQ(p.conv.dilation_y, q.conv.dilation_y);
    EXPECT_EQ(p.conv.dilation_x, q.conv.dilation_x);
  }
}

}  // namespace

TEST(NetworkFile, RoundTripKeepsEveryField) {
  for (uint64_t seed : {1, 2, 3}) {
    RandomNetworkParams rp;
    rp.seed = seed;
    Network net = make_random_network(rp);
    net.metadata.attributes["preset"] = "tiny";
    net.populations.back().reset_interval = 4;  // a periodic reset is kept
    net.populations.back().reset_offset = 3;
    net.metadata.arrays["schedule"] = MetaArray{{2, 2}, true, {1, -2, 3, 1 << 30}, {}};
    net.metadata.arrays["alphas"] = MetaArray{{3}, false, {}, {0.5, 0.25, 0.125}};
    if (seed == 2)  // a dilated conv (conv1 keeps its 6x6 map: 3x3 taps 2 apart, padding 2) is kept
      for (auto& pr : net.projections)
        if (pr.name == "conv_0") pr.conv.dilation_y = pr.conv.dilation_x = 2, pr.conv.pad_y = pr.conv.pad_x = 2;
    const std::string path = temp_path("roundtrip");
    write_network(net, path);
    const Network back = read_network(path);
    std::remove(path.c_str());
    expect_same(net, back);
    EXPECT_EQ(back.metadata.producer, net.metadata.producer);
    EXPECT_EQ(back.metadata.attributes.at("preset"), "tiny");
    EXPECT_EQ(back.metadata.arrays.at("schedule").ints, (std::vector<int64_t>{1, -2, 3, 1 << 30}));
    EXPECT_EQ(back.metadata.arrays.at("schedule").shape, (std::vector<uint64_t>{2, 2}));
    EXPECT_EQ(back.metadata.arrays.at("alphas").reals, (std::vector<double>{0.5, 0.25, 0.125}));
  }
}

TEST(NetworkFile, SdnnPopulationRoundTrips) {
  Network net;
  Population in;
  in.name = "frame";
  in.shape = {4};
  in.kind = NeuronKind::Sdnn;
  in.sdnn.role = SdnnRole::Delta;
  in.sdnn.state_exp = 6;
  in.sdnn.spike_exp = 6;
  in.payload_bits = 24;
  in.payload_frac_bits = 6;
  Population out = in;
  out.name = "out";
  out.sdnn.role = SdnnRole::Sigma;
  out.sdnn.activation = SdnnActivation::Unit;
  out.sdnn.state_exp = 3;
  net.populations = {in, out};
  Projection pr;
  pr.name = "frame_to_out";
  pr.source = 0;
  pr.target = 1;
  pr.weights.assign(16, 1);
  net.projections = {pr};
  const std::string path = temp_path("sdnn");
  write_network(net, path);
  const Network back = read_network(path);
  std::remove(path.c_str());
  ASSERT_EQ(back.populations.size(), 2u);
  EXPECT_EQ(back.populations[0].kind, NeuronKind::Sdnn);
  EXPECT_EQ(back.populations[0].sdnn.role, SdnnRole::Delta);
  EXPECT_EQ(back.populations[1].sdnn.role, SdnnRole::Sigma);
  EXPECT_EQ(back.populations[1].sdnn.activation, SdnnActivation::Unit);
  EXPECT_EQ(back.populations[1].sdnn.state_exp, 3);
  EXPECT_EQ(back.populations[1].sdnn.spike_exp, 6);
  EXPECT_EQ(back.populations[1].payload_bits, 24);
  EXPECT_EQ(back.populations[1].payload_frac_bits, 6);
}

namespace {

// The message validate() throws for `net` ("" if none).
std::string validation_error(const Network& net) {
  try {
    validate(net, "net.h5");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(NetworkFile, SdnnPayloadFractionMustBeItsSpikeExp) {
  Network net;
  Population p;
  p.name = "s";
  p.shape = {2};
  p.kind = NeuronKind::Sdnn;
  p.sdnn.spike_exp = 6;
  p.payload_bits = 24;
  p.payload_frac_bits = 0;
  net.populations = {p};
  const std::string e = validation_error(net);
  EXPECT_NE(e.find("/populations/0/payload_frac_bits"), std::string::npos) << e;
  EXPECT_NE(e.find("spike_exp (6) fractional bits, got 0"), std::string::npos) << e;
}

TEST(NetworkFile, DeltaEncoderTakesNoSynapses) {
  Network net;
  Population a;
  a.name = "a";
  a.shape = {2};
  Population d = a;
  d.name = "d";
  d.kind = NeuronKind::Sdnn;
  d.sdnn.role = SdnnRole::Delta;
  d.payload_bits = 24;
  net.populations = {a, d};
  Projection pr;
  pr.name = "a_to_d";
  pr.source = 0;
  pr.target = 1;
  pr.weights.assign(4, 1);
  net.projections = {pr};
  const std::string e = validation_error(net);
  EXPECT_NE(e.find("/projections/0/target"), std::string::npos) << e;
  EXPECT_NE(e.find("delta encoder: its a_in comes from the stimulus"), std::string::npos) << e;
}

TEST(NetworkFile, MinimalHandWrittenFileLoads) {
  EXPECT_EQ(load_error([](Datasets&) {}), "");
  const std::string path = temp_path("minimal");
  write_raw(path, minimal_datasets());
  const Network net = read_network(path);
  std::remove(path.c_str());
  ASSERT_EQ(net.populations.size(), 2u);
  EXPECT_EQ(net.populations[1].params.size(), 3u);  // vth_mant given per neuron
  EXPECT_EQ(net.populations[1].params[2].vth_mant, 30u);
  EXPECT_EQ(net.populations[1].params[2].du, 4095);      // scalar broadcast
  EXPECT_EQ(net.populations[1].params[2].vmin_exp, 23);  // default
  EXPECT_EQ(net.populations[0].payload_bits, 8);
}

TEST(NetworkFile, WrongWeightShapeNamesDatasetAndExpectedShape) {
  const std::string e = load_error([](Datasets& d) {
    d["/projections/0/weights"] = Ints{std::vector<int64_t>(15, 1), {3, 5}};
  });
  EXPECT_NE(e.find("/projections/0/weights"), std::string::npos) << e;
  EXPECT_NE(e.find("expected shape (3, 4)"), std::string::npos) << e;
  EXPECT_NE(e.find("got (3, 5)"), std::string::npos) << e;
}

TEST(NetworkFile, FloatWhereIntegerBelongsIsAnError) {
  const std::string e = load_error([](Datasets& d) { d["/populations/1/neuron/du"] = Reals{{4095.0}, {}}; });
  EXPECT_NE(e.find("/populations/1/neuron/du"), std::string::npos) << e;
  EXPECT_NE(e.find("expected an integer dataset, found floating point"), std::string::npos) << e;
}

TEST(NetworkFile, MissingDatasetIsNamed) {
  const std::string e = load_error([](Datasets& d) { d.erase("/projections/0/encoding"); });
  EXPECT_NE(e.find("/projections/0/encoding: missing dataset"), std::string::npos) << e;
}

TEST(NetworkFile, OutOfRangeParameterNamesRange) {
  const std::string e = load_error([](Datasets& d) { d["/populations/1/neuron/du"] = Ints{{4096}, {}}; });
  EXPECT_NE(e.find("/populations/1/neuron/du"), std::string::npos) << e;
  EXPECT_NE(e.find("[0, 4095]"), std::string::npos) << e;
  EXPECT_EQ(load_error([](Datasets& d) { d["/populations/1/neuron/du"] = Ints{{4095}, {}}; }), "");
}

TEST(NetworkFile, PerNeuronArrayOfWrongLength) {
  const std::string e = load_error([](Datasets& d) { d["/populations/1/neuron/vth_mant"] = Ints{{1, 2}, {2}}; });
  EXPECT_NE(e.find("/populations/1/neuron/vth_mant: expected a scalar or 3 values"), std::string::npos) << e;
}

TEST(NetworkFile, UnknownVersionIsRefused) {
  const std::string e = load_error([](Datasets&) {}, 2);
  EXPECT_NE(e.find("unsupported format version 2"), std::string::npos) << e;
}

TEST(NetworkFile, NotAnHdf5FileIsNamed) {
  const std::string path = temp_path("garbage");
  std::ofstream(path) << "this is not HDF5";
  try {
    read_network(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": cannot open: not a readable HDF5 file"), std::string::npos)
        << e.what();
  }
  std::remove(path.c_str());
}

TEST(NetworkFile, WrongFormatAttributeIsRefused) {
  const std::string path = temp_path("format");
  write_raw(path, minimal_datasets(), 1, "lava-netx");
  try {
    read_network(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("attribute 'format' is 'lava-netx'"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(NetworkFile, UnknownPopulationReference) {
  const std::string e = load_error([](Datasets& d) { d["/projections/0/target"] = std::string("nope"); });
  EXPECT_NE(e.find("/projections/0/target: unknown population 'nope'"), std::string::npos) << e;
}

TEST(NetworkFile, UnknownEnumValueListsChoices) {
  const std::string e = load_error([](Datasets& d) { d["/projections/0/encoding"] = std::string("fft"); });
  EXPECT_NE(e.find("unknown value 'fft': expected one of dense, sparse, conv, one_to_one"), std::string::npos) << e;
}

TEST(NetworkFile, WeightOutsideSignModeRange) {
  const std::string e = load_error([](Datasets& d) {
    d["/projections/0/sign_mode"] = std::string("excitatory");
    d["/projections/0/weights"] = Ints{{10, 10, 10, 10, 10, -1, 10, 10, 10, 10, 10, 10}, {3, 4}};
  });
  EXPECT_NE(e.find("/projections/0/weights: value -1 out of range"), std::string::npos) << e;
  EXPECT_NE(e.find("sign mode excitatory in [0, 255]"), std::string::npos) << e;
}

TEST(NetworkFile, DelayAbove62IsRefused) {
  EXPECT_EQ(load_error([](Datasets& d) { d["/projections/0/delays"] = Ints{{62}, {}}; }), "");
  const std::string e = load_error([](Datasets& d) { d["/projections/0/delays"] = Ints{{63}, {}}; });
  EXPECT_NE(e.find("/projections/0/delays: value 63 out of range"), std::string::npos) << e;
}

TEST(NetworkFile, InputCannotBeATarget) {
  const std::string e = load_error([](Datasets& d) {
    d["/projections/0/source"] = std::string("hidden");
    d["/projections/0/target"] = std::string("in");
    d["/projections/0/weights"] = Ints{std::vector<int64_t>(12, 1), {4, 3}};
  });
  EXPECT_NE(e.find("/projections/0/target: population 'in' is a graded input"), std::string::npos) << e;
}

TEST(NetworkFile, ConvOutputShapeMustMatchTarget) {
  const std::string e = load_error([](Datasets& d) {
    d["/populations/0/shape"] = Ints{{1, 4, 4}, {3}};
    d["/populations/1/shape"] = Ints{{2, 3, 3}, {3}};
    d["/populations/1/neuron/vth_mant"] = Ints{{10}, {}};
    d["/projections/0/encoding"] = std::string("conv");
    d["/projections/0/weights"] = Ints{std::vector<int64_t>(2 * 1 * 3 * 3, 1), {2, 1, 3, 3}};
    d["/projections/0/padding"] = Ints{{1, 1}, {2}};  // 4x4 with pad 1 and a 3x3 kernel gives 4x4, not 3x3
  });
  EXPECT_NE(e.find("/projections/0/target: conv output is (2, 4, 4) but target 'hidden' has shape (2, 3, 3)"),
            std::string::npos)
      << e;
}

// /dilation is optional (1 when absent); with it, the output size uses the dilated kernel's extent.
TEST(NetworkFile, ConvDilationWidensTheKernelInTheOutputSize) {
  // A 3x3 conv from (1, 7, 7) into (2, 5, 5) with the given dilation.
  auto with_dilation = [](std::vector<int64_t> dilation) {
    return load_error([&](Datasets& d) {
      d["/populations/0/shape"] = Ints{{1, 7, 7}, {3}};
      d["/populations/1/shape"] = Ints{{2, 5, 5}, {3}};
      d["/populations/1/neuron/vth_mant"] = Ints{{10}, {}};
      d["/projections/0/encoding"] = std::string("conv");
      d["/projections/0/weights"] = Ints{std::vector<int64_t>(2 * 1 * 3 * 3, 1), {2, 1, 3, 3}};
      d["/projections/0/dilation"] = Ints{dilation, {2}};
    });
  };
  const std::string e = with_dilation({2, 3});  // extents 5 and 7: 7x7 gives (3, 1), not the (5, 5) of 3x3
  EXPECT_NE(e.find("/projections/0/target: conv output is (2, 3, 1) but target 'hidden' has shape (2, 5, 5)"),
            std::string::npos)
      << e;
  const std::string z = with_dilation({0, 1});
  EXPECT_NE(z.find("/projections/0/dilation: dilation must be at least 1"), std::string::npos) << z;
}

TEST(NetworkFile, BiasTableShapeIsChecked) {
  const std::string e = load_error([](Datasets& d) {
    d["/populations/1/bias_table"] = Ints{std::vector<int64_t>(8, 1), {2, 2, 2}};
  });
  EXPECT_NE(e.find("/populations/1/bias_table: expected shape (contexts, phases, 3)"), std::string::npos) << e;
  EXPECT_EQ(load_error([](Datasets& d) {
              d["/populations/1/bias_table"] = Ints{std::vector<int64_t>(12, 1), {2, 2, 3}};
            }),
            "");
}

TEST(NetworkFile, SparseIndexOutOfRange) {
  const std::string e = load_error([](Datasets& d) {
    d["/projections/0/encoding"] = std::string("sparse");
    d["/projections/0/weights"] = Ints{{5, 6}, {2}};
    d["/projections/0/pre"] = Ints{{0, 4}, {2}};
    d["/projections/0/post"] = Ints{{0, 1}, {2}};
  });
  EXPECT_NE(e.find("/projections/0/pre: index 4 out of range: source has 4 neurons"), std::string::npos) << e;
}

TEST(NetworkFile, SameNetworkGivesSameBytes) {
  RandomNetworkParams rp;
  rp.seed = 4;
  const Network net = make_random_network(rp);
  const std::string a = temp_path("bytes_a"), b = temp_path("bytes_b");
  write_network(net, a);
  write_network(net, b);
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  const std::string sa((std::istreambuf_iterator<char>(fa)), {}), sb((std::istreambuf_iterator<char>(fb)), {});
  EXPECT_GT(sa.size(), 1000u);
  EXPECT_EQ(sa, sb);  // no modification times in the object headers
  std::remove(a.c_str());
  std::remove(b.c_str());
}

TEST(Quantization, LimitWeightBitsDropsLowBitsOnlyWhereWider) {
  Network net;
  Population a, b;
  a.name = "a";
  a.shape = {1};
  b.name = "b";
  b.shape = {1};
  net.populations = {a, b};
  Projection wide, narrow;
  wide.source = narrow.source = 0;
  wide.target = narrow.target = 1;
  wide.weights = {100};
  narrow.weights = {100};
  narrow.format.num_weight_bits = 3;
  net.projections = {wide, narrow};
  EXPECT_EQ(limit_weight_bits(net, 4), 1u);
  EXPECT_EQ(net.projections[0].format.num_weight_bits, 4);
  EXPECT_EQ(net.projections[1].format.num_weight_bits, 3);
  // 4 mixed bits: prec 32, so 100 -> 96.
  EXPECT_EQ(effective_weight(net.projections[0].weights[0], net.projections[0].format), 96 * 64);
  EXPECT_EQ(limit_weight_bits(net, 8), 0u);
}

TEST(NetworkFile, ArithmeticDefaultsToNengoLoihiAndLavaRoundTrips) {
  EXPECT_EQ(load_error([](Datasets&) {}), "");
  const std::string path = temp_path("arith");
  write_raw(path, minimal_datasets());
  Network net = read_network(path);
  EXPECT_EQ(net.populations[1].arithmetic, Arithmetic::NengoLoihi);
  net.populations[1].arithmetic = Arithmetic::Lava;
  write_network(net, path);
  EXPECT_EQ(H5File::open_read(path).read_string("/populations/1/arithmetic"), "lava");
  EXPECT_FALSE(H5File::open_read(path).exists("/populations/0/arithmetic"));  // the default is not written
  const Network back = read_network(path);
  std::remove(path.c_str());
  EXPECT_EQ(back.populations[1].arithmetic, Arithmetic::Lava);
  EXPECT_EQ(back.populations[0].arithmetic, Arithmetic::NengoLoihi);
}

TEST(NetworkFile, UnknownArithmeticIsNamed) {
  const std::string e = load_error([](Datasets& d) { d["/populations/1/arithmetic"] = std::string("float"); });
  EXPECT_NE(e.find("/populations/1/arithmetic: unknown arithmetic 'float': expected \"nengo-loihi\" or \"lava\""),
            std::string::npos)
      << e;
}

TEST(NetworkFile, PeriodicResetIsOptionalAndItsOffsetBelowItsInterval) {
  EXPECT_EQ(load_error([](Datasets& d) {
              d["/populations/1/reset_interval"] = Ints{{4}, {}};
              d["/populations/1/reset_offset"] = Ints{{3}, {}};
            }),
            "");
  const std::string e = load_error([](Datasets& d) {
    d["/populations/1/reset_interval"] = Ints{{4}, {}};
    d["/populations/1/reset_offset"] = Ints{{4}, {}};
  });
  EXPECT_NE(e.find("/populations/1/reset_offset"), std::string::npos) << e;
  EXPECT_NE(e.find("reset_offset (below reset_interval)"), std::string::npos) << e;
  const std::string neg = load_error([](Datasets& d) { d["/populations/1/reset_interval"] = Ints{{-1}, {}}; });
  EXPECT_NE(neg.find("/populations/1/reset_interval: value -1 out of range [0, 65535]"), std::string::npos) << neg;
}
