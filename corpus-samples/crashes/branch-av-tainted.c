/* BranchAvTainted: the interpreter loads the next handler address from a
 * wild table pointer (canonical, unmapped).  The faulting instruction (-O2)
 * is that load; its destination register is checked for NULL and then used
 * as the target of an indirect `jmp reg`. */
#include <stdio.h>

struct vm {
    const unsigned char *code;
    void *const *dispatch;
};

__attribute__((noipa)) static long run(const struct vm *vm)
{
    static void *const default_table[] = { &&op_halt, &&op_inc, &&op_dec };
    void *const *dispatch = vm->dispatch ? vm->dispatch : default_table;
    const unsigned char *pc = vm->code;
    long acc = 0;
    void *target;

next:
    target = dispatch[*pc++]; // CRASH-LINE
    if (target == NULL)
        return -1;
    goto *target;
op_inc:
    acc++;
    goto next;
op_dec:
    acc--;
    goto next;
op_halt:
    return acc;
}

static struct vm *volatile current_vm;

int main(void)
{
    static const unsigned char program[] = { 1, 2, 1, 0 };
    static struct vm ctx = { program, (void *const *)0x414141414000ULL };
    current_vm = &ctx;
    printf("result: %ld\n", run(current_vm));
    return 0;
}
