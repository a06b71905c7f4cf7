%defstr V __NASM_VER__
%warning V
%push ctx
%$loc: db 0
%pop ctx
%line 10+1 foo.c
%error "e"
%fatal "f"
