// Names for Linux signal numbers and their si_code values.
#pragma once

#include <string>

namespace triage {

std::string signal_name(int number);             // "SIGSEGV", or "signal 42"
std::string signal_code_name(int number, int code);  // "SEGV_MAPERR", "SI_KERNEL", ...

}  // namespace triage
