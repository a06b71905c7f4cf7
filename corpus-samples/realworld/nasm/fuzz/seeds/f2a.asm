%macro m 1-*.nolist
  %rep %0
    %ifidni %1, x
      %exitrep
    %endif
    %rotate -1
  %endrep
  %00 %? %?? %*?
%endmacro
lbl: m a, b, x
%macro loc 0
