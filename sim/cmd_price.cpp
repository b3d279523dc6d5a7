// `spikemesh price REPORT.json --energy TABLE.yaml [--out FILE]`: re-prices a finished run's counters with
// another energy table, without rerunning it (sim/energy.h). Static power follows the run's power gating as
// the report saved it (chip.power_gating, chip.cores_powered). Writes a JSON object with the report's path,
// its power gating and the `energy_j` object report.json would hold with that table.
#include <boost/program_options.hpp>

#include <iostream>
#include <sstream>

#include "atomic_file.h"
#include "commands.h"
#include "config.h"
#include "energy.h"
#include "error.h"
#include "json_writer.h"
#include "report.h"

namespace po = boost::program_options;

namespace spikemesh::cli {

int cmd_price(const Args& args) {
  std::string report, energy, out;
  po::options_description opts("spikemesh price REPORT.json --energy TABLE.yaml [--out FILE]");
  opts.add_options()("report", po::value(&report)->required(), "a report.json written by `spikemesh run`")(
      "energy", po::value(&energy)->required(), "the energy table to price it with (configs/energy/*.yaml)")(
      "out", po::value(&out), "write the JSON here (default: standard output)");
  po::positional_options_description pos;
  pos.add("report", 1);
  if (!parse_command_line(args, opts, pos)) return 0;
  std::string note;
  const ChipCounters c = load_report_counters(report, &note);
  if (!note.empty()) std::cerr << "spikemesh price: note: " << note << "\n";
  const EnergyTable table = load_energy_table(energy);
  const EnergyReport e = price_energy(c, table);
  std::ostringstream os;
  {
    JsonWriter j(os);
    j.begin_object();
    j.value("format", "spikemesh-energy").value("report", report).value("energy_table", energy);
    uint64_t powered = 0;
    for (size_t k = 0; k < c.cores.size(); ++k) powered += !(k < c.core_gated.size() && c.core_gated[k]);
    j.value("cores", uint64_t{c.cores.size()}).value("cores_powered", powered);
    write_energy(j, c, table, e);
    j.end_object();
  }
  os << "\n";
  if (out.empty()) {
    std::cout << os.str();
  } else {
    write_stream_atomically(out, [&](std::ostream& f) { f << os.str(); });
  }
  return 0;
}

}  // namespace spikemesh::cli
