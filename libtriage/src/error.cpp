#include "triage/error.h"

namespace triage {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kIo: return "I/O error";
    case ErrorKind::kNotACore: return "not a core dump";
    case ErrorKind::kMalformed: return "malformed input";
    case ErrorKind::kUnsupported: return "unsupported";
    case ErrorKind::kInvalidArgument: return "invalid argument";
    case ErrorKind::kRules: return "rules error";
  }
  return "unknown error";
}

}  // namespace triage
