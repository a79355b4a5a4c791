/* syscall-ways: check that the kernel counts system calls by way of entry.

   Usage: syscall-ways WAY N
   WAY is syscall (the syscall instruction, x86-64 only), int80 (int $0x80,
   from 64-bit or IA-32 code) or direct (IA-32 only: a call of the KML
   entry that AT_SYSINFO gives an IA-32 KML task).  Makes N getppid calls
   that way and prints "WAY: N counted: C", where C is what
   /proc/thread-self/status counted for the loop alone: the status reads
   themselves are measured by a second, empty interval and taken away, so
   C == N exactly when the counting is right.  */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const ways[] = { "direct", "syscall", "sysenter", "int80" };

/* The Syscalls: (this thread) count of WAY.  open and read, not stdio:
   stdio's malloc and free would add brk calls (int $0x80 in static i386
   programs) to some intervals and not to others.  */
static unsigned long long
thread_count (int way)
{
  static char status[4096];
  unsigned long long count[4];
  const char *line;
  ssize_t len;
  int fd = open ("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      perror ("syscall-ways: /proc/thread-self/status");
      exit (2);
    }
  len = read (fd, status, sizeof status - 1);
  close (fd);
  status[len > 0 ? len : 0] = '\0';
  line = strstr (status, "\nSyscalls:");
  if (line == NULL
      || sscanf (line, "\nSyscalls: direct %llu syscall %llu sysenter %llu "
		 "int80 %llu", &count[0], &count[1], &count[2], &count[3]) != 4)
    {
      fprintf (stderr, "syscall-ways: no Syscalls: line in status\n");
      exit (2);
    }
  return count[way];
}

#ifdef __x86_64__
static long
getppid_syscall (void)
{
  long ret;

  asm volatile ("syscall" : "=a" (ret) : "0" ((long) SYS_getppid)
		: "rcx", "r11", "memory");
  return ret;
}
#else
/* The KML entry of an IA-32 task: AT_SYSINFO, marked by "KML1" before it
   (doc/ABI.md).  Like __kernel_vsyscall, it keeps every register but EAX.  */
static unsigned long kml_entry;

static long
getppid_direct (void)
{
  long ret;

  asm volatile ("call *%1" : "=a" (ret) : "m" (kml_entry), "0" (64L)
		: "memory");
  return ret;
}
#endif

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
      fprintf (stderr, "usage: syscall-ways WAY N (WAY: %s)\n",
	       sizeof (long) == 8 ? "syscall, int80" : "direct, int80");
      return 2;
    }
#ifdef __x86_64__
  if (strcmp (argv[1], "syscall") == 0)
    {
      way = 1;
      call = getppid_syscall;
    }
#else
  if (strcmp (argv[1], "direct") == 0)
    {
      kml_entry = getauxval (AT_SYSINFO);
      if (kml_entry == 0 || memcmp ((void *) (kml_entry - 4), "KML1", 4) != 0)
	{
	  fprintf (stderr, "syscall-ways: AT_SYSINFO is not a KML entry\n");
	  return 1;
	}
      way = 0;
      call = getppid_direct;
    }
#endif
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
