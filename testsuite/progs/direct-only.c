/* direct-only: a program without a C library whose every system call goes
   through the KML direct entry (vdso/kml.h), or through the syscall
   instruction when it gets no entry.

   It makes 1000 getppid calls, writes one line and exits: 1002 system
   calls, all counted as direct under /trusted and as syscall elsewhere,
   so kmlstat can prove that a trusted program trapped zero times.  */

#include <sys/syscall.h>

#include "../../vdso/kml.h"

enum { CALLS = 1000 };

__attribute__ ((noreturn, used)) static void
start (long *initial_stack)
{
  long argc = initial_stack[0];
  char **envp = (char **) initial_stack + argc + 2;
  unsigned long entry = kml_entry_from_envp (envp);
  static const char direct[] = "direct-only: direct\n";
  static const char trapped[] = "direct-only: syscall\n";
  int i;

  for (i = 0; i < CALLS; i++)
    kml_syscall0 (entry, SYS_getppid);
  if (entry)
    kml_syscall3 (entry, SYS_write, 1, direct, sizeof direct - 1);
  else
    kml_syscall3 (entry, SYS_write, 1, trapped, sizeof trapped - 1);
  kml_syscall1 (entry, SYS_exit_group, 0);
  __builtin_unreachable ();
}

/* The initial stack: argc, argv[], NULL, envp[], NULL, auxv.  */
__asm__ (".text\n"
	 ".globl _start\n"
	 "_start:\n\t"
	 "xor %ebp, %ebp\n\t"
	 "mov %rsp, %rdi\n\t"
	 "and $-16, %rsp\n\t"
	 "call start\n\t"
	 "ud2\n");
