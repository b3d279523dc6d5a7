// What every benchmark shares: clocks, the CPU's name, and argument parsing with --help.
#pragma once

#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace spikemesh::bench {

inline double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of this process (clock = CLOCK_PROCESS_CPUTIME_ID) or of this thread (CLOCK_THREAD_CPUTIME_ID).
inline double cpu_now(clockid_t clock = CLOCK_PROCESS_CPUTIME_ID) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

inline std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      const auto c = line.find(':');
      return c == std::string::npos ? line : line.substr(c + 2);
    }
  return "unknown";
}

// The command line as one string (recorded in every result file).
inline std::string command_line(int argc, char** argv) {
  std::string cmd;
  for (int k = 0; k < argc; ++k) cmd += (k ? " " : "") + std::string(argv[k]);
  return cmd;
}

// Opens a result file for writing, creating its folder; 10 significant digits.
inline std::ofstream open_result(const std::string& path) {
  const std::filesystem::path op(path);
  if (op.has_parent_path()) std::filesystem::create_directories(op.parent_path());
  std::ofstream f(path);
  f.precision(10);
  return f;
}

// Parses argv into `opts`. Returns -1 to go on, otherwise the exit status (0 after --help, 2 on bad arguments).
inline int parse_args(int argc, char** argv, const boost::program_options::options_description& opts,
                      const char* name) {
  namespace po = boost::program_options;
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    if (vm.count("help")) {
      std::cout << opts;
      return 0;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 2;
  }
  return -1;
}

}  // namespace spikemesh::bench
