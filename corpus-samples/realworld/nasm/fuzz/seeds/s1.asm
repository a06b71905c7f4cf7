%macro pushall 2+
  %rep %0
    push %1
    %rotate 1
  %endrep
%endmacro
%define X(a,b) ((a)*(b)+1)
section .text
global _start
_start:
  pushall rax, rbx
  mov eax, X(3,4)
  times 3 nop
%if X(1,2) > 2
  db "hello", 0
%elif 1
  dw 1,2
%else
  dq 3.5
%endif
