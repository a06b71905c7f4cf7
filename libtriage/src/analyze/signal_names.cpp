#include "triage/analyze/signal_names.h"

#include <map>
#include <utility>

namespace triage {

std::string signal_name(int number) {
  static const std::map<int, const char*> names = {
      {1, "SIGHUP"},   {2, "SIGINT"},   {3, "SIGQUIT"},  {4, "SIGILL"},   {5, "SIGTRAP"},  {6, "SIGABRT"},
      {7, "SIGBUS"},   {8, "SIGFPE"},   {9, "SIGKILL"},  {10, "SIGUSR1"}, {11, "SIGSEGV"}, {12, "SIGUSR2"},
      {13, "SIGPIPE"}, {14, "SIGALRM"}, {15, "SIGTERM"}, {16, "SIGSTKFLT"}, {17, "SIGCHLD"}, {24, "SIGXCPU"},
      {25, "SIGXFSZ"}, {31, "SIGSYS"}};
  auto it = names.find(number);
  return it != names.end() ? it->second : "signal " + std::to_string(number);
}

std::string signal_code_name(int number, int code) {
  // Codes any signal can carry (sent by a process rather than a fault).
  static const std::map<int, const char*> generic = {
      {0, "SI_USER"}, {0x80, "SI_KERNEL"}, {-1, "SI_QUEUE"}, {-2, "SI_TIMER"},
      {-3, "SI_MESGQ"}, {-4, "SI_ASYNCIO"}, {-6, "SI_TKILL"}};
  static const std::map<std::pair<int, int>, const char*> specific = {
      {{11, 1}, "SEGV_MAPERR"}, {{11, 2}, "SEGV_ACCERR"}, {{11, 3}, "SEGV_BNDERR"}, {{11, 4}, "SEGV_PKUERR"},
      {{11, 5}, "SEGV_ACCADI"}, {{11, 6}, "SEGV_ADIDERR"}, {{11, 7}, "SEGV_ADIPERR"}, {{11, 8}, "SEGV_MTEAERR"},
      {{11, 9}, "SEGV_MTESERR"}, {{11, 10}, "SEGV_CPERR"},
      {{7, 1}, "BUS_ADRALN"}, {{7, 2}, "BUS_ADRERR"}, {{7, 3}, "BUS_OBJERR"}, {{7, 4}, "BUS_MCEERR_AR"},
      {{7, 5}, "BUS_MCEERR_AO"},
      {{4, 1}, "ILL_ILLOPC"}, {{4, 2}, "ILL_ILLOPN"}, {{4, 3}, "ILL_ILLADR"}, {{4, 4}, "ILL_ILLTRP"},
      {{4, 5}, "ILL_PRVOPC"}, {{4, 6}, "ILL_PRVREG"}, {{4, 7}, "ILL_COPROC"}, {{4, 8}, "ILL_BADSTK"},
      {{8, 1}, "FPE_INTDIV"}, {{8, 2}, "FPE_INTOVF"}, {{8, 3}, "FPE_FLTDIV"}, {{8, 4}, "FPE_FLTOVF"},
      {{8, 5}, "FPE_FLTUND"}, {{8, 6}, "FPE_FLTRES"}, {{8, 7}, "FPE_FLTINV"}, {{8, 8}, "FPE_FLTSUB"},
      {{5, 1}, "TRAP_BRKPT"}, {{5, 2}, "TRAP_TRACE"}, {{5, 3}, "TRAP_BRANCH"}, {{5, 4}, "TRAP_HWBKPT"},
      {{31, 1}, "SYS_SECCOMP"}};
  if (code > 0 && code != 0x80)
    if (auto it = specific.find({number, code}); it != specific.end()) return it->second;
  if (auto it = generic.find(code); it != generic.end()) return it->second;
  return "code " + std::to_string(code);
}

}  // namespace triage
