default rel
section .bss
buf resb 64
section .text
%imacro PROLOGUE 1-2 0
  enter %1, %2
%endmacro
f: PROLOGUE 16
  lea rax, [rel buf]
  mov qword [rax + 8*rcx], __?float64?__(1.5e10)
  %pathsearch P "x.inc"
  %deftok T 'mov eax, 1'
  T
  leave
  ret
%use altreg
