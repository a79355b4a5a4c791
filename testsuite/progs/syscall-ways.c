/* syscall-ways: check that the kernel counts system calls by way of entry.

   Usage: syscall-ways WAY N
   WAY is syscall (the syscall instruction) or int80 (int $0x80 from 64-bit
   code).  Makes N getppid calls that way and prints "WAY: N counted: C",
   where C is what /proc/thread-self/status counted for the loop alone:
   the status reads themselves are measured by a second, empty interval
   and taken away, so C == N exactly when the counting is right.  */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const ways[] = { "direct", "syscall", "sysenter", "int80" };

/* The Syscalls: (this thread) count of WAY.  */
static unsigned long long
thread_count (int way)
{
  unsigned long long count[4];
  char line[512];
  FILE *status = fopen ("/proc/thread-self/status", "re");

  if (status == NULL)
    {
      perror ("syscall-ways: /proc/thread-self/status");
      exit (2);
    }
  while (fgets (line, sizeof line, status) != NULL)
    if (sscanf (line, "Syscalls: direct %llu syscall %llu sysenter %llu "
		"int80 %llu", &count[0], &count[1], &count[2], &count[3]) == 4)
      {
	fclose (status);
	return count[way];
      }
  fprintf (stderr, "syscall-ways: no Syscalls: line in status\n");
  exit (2);
}

static long
getppid_syscall (void)
{
  long ret;

  asm volatile ("syscall" : "=a" (ret) : "0" ((long) SYS_getppid)
		: "rcx", "r11", "memory");
  return ret;
}

/* 64 is getppid in the i386 table, which int $0x80 uses.  */
static long
getppid_int80 (void)
{
  long ret;

  asm volatile ("int $0x80" : "=a" (ret) : "0" (64L) : "memory");
  return ret;
}

int
main (int argc, char **argv)
{
  unsigned long long before, after, idle, counted;
  pid_t ppid;
  long (*call) (void);
  long i, n;
  int way;

  if (argc != 3 || (n = atol (argv[2])) <= 0)
    {
      fprintf (stderr, "usage: syscall-ways syscall|int80 N\n");
      return 2;
    }
  if (strcmp (argv[1], "syscall") == 0)
    {
      way = 1;
      call = getppid_syscall;
    }
  else if (strcmp (argv[1], "int80") == 0)
    {
      way = 3;
      call = getppid_int80;
    }
  else
    {
      fprintf (stderr, "syscall-ways: unknown way %s\n", argv[1]);
      return 2;
    }

  /* Ask glibc once: its getppid may itself go any way.  */
  ppid = getppid ();
  before = thread_count (way);
  for (i = 0; i < n; i++)
    if (call () != ppid)
      {
	fprintf (stderr, "syscall-ways: %s getppid returned a wrong value\n",
		 ways[way]);
	return 1;
      }
  after = thread_count (way);
  idle = thread_count (way);
  counted = (after - before) - (idle - after);
  printf ("%s: %ld counted: %llu\n", ways[way], n, counted);
  return 0;
}
