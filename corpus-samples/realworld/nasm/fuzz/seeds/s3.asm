bits 32
%include "nonexistent.inc"
%strlen L 'abc'
%substr S 'hello' 2,3
%xdefine Y %[L]
%ifdef Y
  mov ebx, [esi+edi*4+Y]
%endif
lbl: jmp short lbl
  vaddps ymm0, ymm1, [rax]
  incbin "s1.asm", 2, 10
