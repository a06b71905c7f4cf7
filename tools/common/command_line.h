// What every tool does with its command line before its own work: parse it
// with Boost.Program_options, answer --help and --version, and turn a bad
// option into one line on stderr and exit code 2.
#pragma once

#include <iostream>
#include <optional>
#include <string>

#include <boost/program_options.hpp>

namespace triage_tools {

namespace po = boost::program_options;

inline constexpr int kExitUsage = 2;

// Adds --help and --version to `visible` first; call before adding options.
inline void add_common_options(po::options_description& visible) {
  visible.add_options()("help,h", "show this help")("version", "print the version");
}

// Parses argv into `vm`. Returns the exit code when the tool has nothing
// more to do (help or version shown: 0; a bad option: 2), else nullopt.
// `hidden` and `positional` are for arguments that --help does not list.
inline std::optional<int> parse_command_line(int argc, char** argv, const char* tool,
                                             const po::options_description& visible, po::variables_map& vm,
                                             const po::options_description* hidden = nullptr,
                                             const po::positional_options_description* positional = nullptr) {
  po::options_description all;
  all.add(visible);
  if (hidden) all.add(*hidden);
  try {
    po::command_line_parser parser(argc, argv);
    const po::positional_options_description none;  // a stray word is an error
    parser.options(all).positional(positional ? *positional : none);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& error) {
    std::cerr << tool << ": " << error.what() << " (see " << tool << " --help)\n";
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << visible << "\n";
    return 0;
  }
  if (vm.count("version")) {
    std::cout << tool << " " << TRIAGE_VERSION << "\n";
    return 0;
  }
  return std::nullopt;
}

}  // namespace triage_tools
