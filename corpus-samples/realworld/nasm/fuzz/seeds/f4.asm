%ifenv PATH
%define P %!PATH
%endif
%iftoken +1
%endif
%ifempty
%endif
%ifnum 1
%elifstr 'x'
%elifid y
%elifctx foo
%elifmacro m
%elifdef Z
%endif
%depend "f1.asm"
%include "f1.asm"
%[%+X]
%{xx%}
%1 %$$a %%b
%assign i 1 << 62
%rmacro r 0
%if i > 0
%assign i i >> 1
r
%endif
%endmacro
r
