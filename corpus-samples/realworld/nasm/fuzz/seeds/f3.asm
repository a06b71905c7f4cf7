section .data align=8 progbits write
x: dd __?float32?__(1.0e38), __?Infinity?__, __?QNaN?__
   dw __?utf16?__("héllo"), __?utf32le?__(`a\u263a`)
   dt 1.5e4932
   do 0x1234567890abcdef1234567890abcdef
   times (4 - ($-x) % 4) db 0
   alignb 32
   resb 0
y  equ $ - x
   [warning -all]
   [list -]
   [map all]
   absolute 0x100
z: resw 2
section .text exec nowrite
   jmp near [rel z]
   call far [y]
   mov cr0, rax
   vpgatherdd ymm0, [eax+ymm1*4], ymm2
   kmovq k1, [rsp]
