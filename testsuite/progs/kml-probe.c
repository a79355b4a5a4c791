/* kml-probe: report the privilege level this code runs at, without any C
   library (kml.security).

   Usage: kml-probe [cpl]   prints "cpl=N", N = CS & 3
          kml-probe sidt    prints "idt=0x...", the base of the loaded IDT

   Static, not PIE, no libc: it can stand in for an ELF interpreter (the
   kernel then runs it with the argv and auxv of the program that named
   it), and sidt is its first instruction, before anything could make the
   kernel switch tasks (which reloads the IDT).  Its system calls go
   through the KML entry when it has one, else through syscall.  */

#include <sys/syscall.h>

#include "../../vdso/kml.h"

static unsigned long entry;

static void
print (const char *text, unsigned long len)
{
  kml_syscall3 (entry, SYS_write, 1, text, len);
}

static int
equal (const char *a, const char *b)
{
  while (*a != '\0' && *a == *b)
    a++, b++;
  return *a == *b;
}

__attribute__ ((noreturn, used)) static void
start (long *initial_stack, unsigned long idt_base)
{
  long argc = initial_stack[0];
  char **argv = (char **) initial_stack + 1;
  char **envp = argv + argc + 1;
  unsigned short cs;
  /* Filled by hand: an initializer could become a call of memcpy or
     memset, which no library provides here.  */
  char line[24];
  int i;

  entry = kml_entry_from_envp (envp);
  if (argc > 1 && equal (argv[1], "sidt"))
    {
      line[0] = 'i', line[1] = 'd', line[2] = 't', line[3] = '=';
      line[4] = '0', line[5] = 'x';
      for (i = 0; i < 16; i++)
	line[6 + i] = "0123456789abcdef"[(idt_base >> (60 - 4 * i)) & 0xf];
      line[22] = '\n';
      print (line, 23);
    }
  else
    {
      __asm__ volatile ("mov %%cs, %0" : "=r" (cs));
      line[0] = 'c', line[1] = 'p', line[2] = 'l', line[3] = '=';
      line[4] = '0' + (cs & 3);
      line[5] = '\n';
      print (line, 6);
    }
  kml_syscall1 (entry, SYS_exit_group, 0);
  __builtin_unreachable ();
}

/* sidt first: the descriptor (2-byte limit, 8-byte base) goes below the
   initial stack, the base is start's second argument.  */
__asm__ (".text\n"
	 ".globl _start\n"
	 "_start:\n\t"
	 "sidt -16(%rsp)\n\t"
	 "mov -14(%rsp), %rsi\n\t"
	 "xor %ebp, %ebp\n\t"
	 "mov %rsp, %rdi\n\t"
	 "and $-16, %rsp\n\t"
	 "call start\n\t"
	 "ud2\n");
