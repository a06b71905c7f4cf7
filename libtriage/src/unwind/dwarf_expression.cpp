#include "dwarf_expression.h"

#include <dwarf.h>

#include <vector>

namespace triage::unwind_detail {

std::optional<uint64_t> evaluate(std::span<const Dwarf_Op> ops, const ExpressionContext& context,
                                 bool* is_location) {
  const uint64_t mask = context.address_size == 8 ? ~0ull : 0xffffffffull;
  std::vector<uint64_t> stack;
  bool location = true;
  auto pop = [&]() -> std::optional<uint64_t> {
    if (stack.empty()) return std::nullopt;
    uint64_t value = stack.back();
    stack.pop_back();
    return value;
  };
  constexpr size_t kMaxSteps = 1000;  // bounds loops built with DW_OP_bra
  size_t steps = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (++steps > kMaxSteps || stack.size() > 64) return std::nullopt;
    const Dwarf_Op& op = ops[i];
    uint8_t atom = op.atom;
    if (atom >= DW_OP_lit0 && atom <= DW_OP_lit31) {
      stack.push_back(atom - DW_OP_lit0);
      continue;
    }
    if (atom >= DW_OP_breg0 && atom <= DW_OP_breg31) {
      auto value = context.read_register(atom - DW_OP_breg0);
      if (!value) return std::nullopt;
      stack.push_back((*value + op.number) & mask);
      continue;
    }
    switch (atom) {
      case DW_OP_addr: case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u: case DW_OP_const8u:
      case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s: case DW_OP_const8s:
      case DW_OP_constu: case DW_OP_consts:
        stack.push_back(op.number & mask);
        break;
      case DW_OP_bregx: {
        auto value = context.read_register(static_cast<unsigned>(op.number));
        if (!value) return std::nullopt;
        stack.push_back((*value + op.number2) & mask);
        break;
      }
      case DW_OP_call_frame_cfa:
        if (!context.cfa) return std::nullopt;
        stack.push_back(*context.cfa);
        break;
      case DW_OP_dup:
        if (stack.empty()) return std::nullopt;
        stack.push_back(stack.back());
        break;
      case DW_OP_drop:
        if (!pop()) return std::nullopt;
        break;
      case DW_OP_over:
        if (stack.size() < 2) return std::nullopt;
        stack.push_back(stack[stack.size() - 2]);
        break;
      case DW_OP_pick:
        if (op.number >= stack.size()) return std::nullopt;
        stack.push_back(stack[stack.size() - 1 - op.number]);
        break;
      case DW_OP_swap:
        if (stack.size() < 2) return std::nullopt;
        std::swap(stack[stack.size() - 1], stack[stack.size() - 2]);
        break;
      case DW_OP_rot:
        if (stack.size() < 3) return std::nullopt;
        std::rotate(stack.end() - 3, stack.end() - 1, stack.end());
        break;
      case DW_OP_deref:
      case DW_OP_deref_size: {
        auto address = pop();
        unsigned size = atom == DW_OP_deref ? context.address_size : static_cast<unsigned>(op.number);
        if (!address || size == 0 || size > 8 || !context.memory) return std::nullopt;
        auto value = context.memory->read_uint(*address, size);
        if (!value) return std::nullopt;
        stack.push_back(*value);
        break;
      }
      case DW_OP_plus_uconst: {
        auto value = pop();
        if (!value) return std::nullopt;
        stack.push_back((*value + op.number) & mask);
        break;
      }
      case DW_OP_abs: case DW_OP_neg: case DW_OP_not: {
        auto value = pop();
        if (!value) return std::nullopt;
        // Negate in unsigned arithmetic: -INT64_MIN overflows int64_t.
        bool negative = static_cast<int64_t>(*value) < 0;
        uint64_t result = atom == DW_OP_not   ? ~*value
                          : atom == DW_OP_neg ? 0 - *value
                                              : (negative ? 0 - *value : *value);
        stack.push_back(result & mask);
        break;
      }
      case DW_OP_and: case DW_OP_div: case DW_OP_minus: case DW_OP_mod: case DW_OP_mul: case DW_OP_or:
      case DW_OP_plus: case DW_OP_shl: case DW_OP_shr: case DW_OP_shra: case DW_OP_xor:
      case DW_OP_eq: case DW_OP_ge: case DW_OP_gt: case DW_OP_le: case DW_OP_lt: case DW_OP_ne: {
        auto b = pop();
        auto a = pop();
        if (!a || !b) return std::nullopt;
        int64_t sa = static_cast<int64_t>(*a), sb = static_cast<int64_t>(*b);
        uint64_t r = 0;
        switch (atom) {
          case DW_OP_and: r = *a & *b; break;
          case DW_OP_div:
            if (sb == 0) return std::nullopt;
            // INT64_MIN / -1 overflows (and traps on x86): -a wraps instead.
            r = sb == -1 ? 0 - *a : static_cast<uint64_t>(sa / sb);
            break;
          case DW_OP_minus: r = *a - *b; break;
          case DW_OP_mod: if (*b == 0) return std::nullopt; r = *a % *b; break;
          case DW_OP_mul: r = *a * *b; break;
          case DW_OP_or: r = *a | *b; break;
          case DW_OP_plus: r = *a + *b; break;
          case DW_OP_shl: r = *b >= 64 ? 0 : *a << *b; break;
          case DW_OP_shr: r = *b >= 64 ? 0 : *a >> *b; break;
          case DW_OP_shra: r = static_cast<uint64_t>(sa >> (*b >= 63 ? 63 : *b)); break;
          case DW_OP_xor: r = *a ^ *b; break;
          case DW_OP_eq: r = sa == sb; break;
          case DW_OP_ge: r = sa >= sb; break;
          case DW_OP_gt: r = sa > sb; break;
          case DW_OP_le: r = sa <= sb; break;
          case DW_OP_lt: r = sa < sb; break;
          case DW_OP_ne: r = sa != sb; break;
        }
        stack.push_back(r & mask);
        break;
      }
      case DW_OP_skip:
      case DW_OP_bra: {
        if (atom == DW_OP_bra) {
          auto condition = pop();
          if (!condition) return std::nullopt;
          if (*condition == 0) break;
        }
        // The operand is a byte offset from the end of this 3-byte operation.
        uint64_t target = op.offset + 3 + static_cast<int16_t>(op.number);
        size_t j = 0;
        while (j < ops.size() && ops[j].offset != target) ++j;
        if (j == ops.size() && !(ops.empty() || target == ops.back().offset + 1)) return std::nullopt;
        i = j - 1;  // the loop's ++i lands on j
        break;
      }
      case DW_OP_nop:
        break;
      case DW_OP_stack_value:
        location = false;
        break;
      default:
        return std::nullopt;  // not something CFI uses
    }
  }
  if (is_location) *is_location = location;
  return pop();
}

}  // namespace triage::unwind_detail
