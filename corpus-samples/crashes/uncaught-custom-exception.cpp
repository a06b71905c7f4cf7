// An uncaught exception of a user type, parser::ParseError (derived from
// std::exception), thrown from a member function in a namespace.  The
// report's class is the exception's demangled type name.
#include <cstdio>
#include <exception>
#include <string>

namespace parser {

class ParseError : public std::exception {
public:
    ParseError(std::string message, size_t offset)
        : message_(std::move(message)), offset_(offset) {}
    const char *what() const noexcept override { return message_.c_str(); }
    size_t offset() const { return offset_; }

private:
    std::string message_;
    size_t offset_;
};

class Parser {
public:
    explicit Parser(std::string text) : text_(std::move(text)) {}

    void expect(char c)
    {
        if (pos_ >= text_.size() || text_[pos_] != c)
            throw ParseError(std::string("expected '") + c + "'", pos_); // CRASH-LINE
        ++pos_;
    }

    int parse_pair()
    {
        expect('(');
        int a = digit();
        expect(',');
        int b = digit();
        expect(')');
        return a * 10 + b;
    }

private:
    int digit()
    {
        if (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9')
            return text_[pos_++] - '0';
        return 0;
    }

    std::string text_;
    size_t pos_ = 0;
};

}  // namespace parser

int main(int argc, char **argv)
{
    parser::Parser p(argc > 1 ? argv[1] : "(1;2)");
    std::printf("pair: %d\n", p.parse_pair());
    return 0;
}
