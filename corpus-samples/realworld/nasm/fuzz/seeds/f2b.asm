  %push
  %local v:dword
  %arg z:qword
  %stacksize flat64
  %$l: mov [%$l], eax
  %pop
%endmacro
loc
%unmacro m 1-*
