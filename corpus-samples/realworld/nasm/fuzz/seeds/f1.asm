%define LIST 1,2,3
%assign n %count(LIST)
%xdefine s %str(a b)
%xdefine c %strcat("x", 'y', `z\n`)
%assign e %eval(3*4+1)
%xdefine m %map(%num, 1, 2)
%xdefine q %sel(2, a, b, c)
%xdefine k %cond(1, yes, no)
%xdefine t %tok("mov eax, 2")
%xdefine u %abs(-5)
%xdefine h %num(255, 2, 16)
%defalias foo bar
%ifusable foo
%endif
db n, e, u
