struc point
  .x: resd 1
  .y: resd 1
endstruc
section .data
p: istruc point
  at point.x, dd 1
  at point.y, dd 2
iend
align 16
tbl: dd p, p+4, $-tbl, $$
%assign i 0
%rep 4
  dd i*i
  %assign i i+1
%endrep
