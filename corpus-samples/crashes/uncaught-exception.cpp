// An uncaught std::runtime_error: the configuration loader throws, nobody
// catches, __cxa_throw finds no handler and calls std::terminate, which
// prints "terminate called after throwing an instance of
// 'std::runtime_error'" and aborts.  The throw site is still on the stack.
#include <cstdio>
#include <stdexcept>
#include <string>

namespace {

int parse_port(const std::string &value)
{
    if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
        throw std::runtime_error("invalid port: '" + value + "'"); // CRASH-LINE
    return std::stoi(value);
}

}  // namespace

int main(int argc, char **argv)
{
    int port = parse_port(argc > 1 ? argv[1] : "80a");
    std::printf("listening on %d\n", port);
    return 0;
}
