/* direct-only: a program without a C library whose every system call goes
   through libkml's kml_syscall6 (vdso/kml.h): the KML direct entry when
   it gets one, the trapping instruction otherwise.  Built for x86-64 and,
   as direct-only32, for i686.

   Usage: direct-only FILE...

   For each FILE it prints "LINES BYTES FILE", as wc -lc does, then
   "system calls: N", the number of system calls it makes in all, the
   exit included.  The output is the same wherever it runs; kmlstat shows
   how the calls entered the kernel: all N direct from /trusted, so a
   trusted program that uses only libkml traps zero times.  */

#include <fcntl.h>
#include <sys/syscall.h>

#include "../../vdso/kml.h"

enum { BUFFER_SIZE = 4096, NUMBER_DIGITS = 24 };

static unsigned long entry, calls;

static long
sys (long nr, long a1, long a2, long a3)
{
  calls++;
  return kml_syscall3 (entry, nr, a1, a2, a3);
}

static unsigned long
length (const char *s)
{
  unsigned long n = 0;

  while (s[n] != '\0')
    n++;
  return n;
}

static void
put (const char *text, unsigned long len)
{
  sys (SYS_write, 1, (long) text, (long) len);
}

static void
put_number (unsigned long n)
{
  char digits[NUMBER_DIGITS];
  int i = NUMBER_DIGITS;

  do
    digits[--i] = '0' + n % 10;
  while ((n /= 10) != 0);
  put (digits + i, NUMBER_DIGITS - i);
}

/* Lines and bytes of PATH, printed; 0, or 1 when it cannot be read.  */
static int
count (const char *path)
{
  static char buffer[BUFFER_SIZE];
  unsigned long lines = 0, bytes = 0;
  long fd, n, i;

#ifdef SYS_open
  fd = sys (SYS_open, (long) path, O_RDONLY, 0);
#else
  fd = sys (SYS_openat, AT_FDCWD, (long) path, O_RDONLY);
#endif
  if (fd < 0)
    return 1;
  while ((n = sys (SYS_read, fd, (long) buffer, sizeof buffer)) > 0)
    {
      for (i = 0; i < n; i++)
	lines += buffer[i] == '\n';
      bytes += n;
    }
  sys (SYS_close, fd, 0, 0);
  if (n < 0)
    return 1;
  put_number (lines);
  put (" ", 1);
  put_number (bytes);
  put (" ", 1);
  put (path, length (path));
  put ("\n", 1);
  return 0;
}

__attribute__ ((noreturn, used)) static void
start (long *initial_stack)
{
  long argc = initial_stack[0];
  char **argv = (char **) initial_stack + 1;
  int i, status = 0;

  entry = kml_entry_from_envp (argv + argc + 1);
  for (i = 1; i < argc; i++)
    status |= count (argv[i]);
  put ("system calls: ", 14);
  /* This number, the newline and the exit are calls still to come.  */
  put_number (calls + 3);
  put ("\n", 1);
  sys (SYS_exit_group, status, 0, 0);
  __builtin_unreachable ();
}

/* The initial stack: argc, argv[], NULL, envp[], NULL, auxv.  */
#ifdef __x86_64__
__asm__ (".text\n"
	 ".globl _start\n"
	 "_start:\n\t"
	 "xor %ebp, %ebp\n\t"
	 "mov %rsp, %rdi\n\t"
	 "and $-16, %rsp\n\t"
	 "call start\n\t"
	 "ud2\n");
#else
__asm__ (".text\n"
	 ".globl _start\n"
	 "_start:\n\t"
	 "xor %ebp, %ebp\n\t"
	 "mov %esp, %eax\n\t"
	 "and $-16, %esp\n\t"
	 "sub $12, %esp\n\t"
	 "push %eax\n\t"
	 "call start\n\t"
	 "ud2\n");
#endif
