/* ia32-getppid: guest instructions per IA-32 getppid, by way of entry.

   Usage (in the guest, under -icount shift=0,sleep=off, where one guest
   nanosecond is one guest instruction):
     tools/kml-guest --icount run -- '/trusted/ia32-getppid; /usr/bin/ia32-getppid'
   Prints the cost of an empty loop iteration, of getppid by int $0x80 and
   by a call of AT_SYSINFO (the KML entry of an IA-32 KML task, which is
   marked "KML1", or the vDSO's __kernel_vsyscall of any other task).
   Built -m32 -static: the guest image has no i386 libraries.  */

#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>

#define CALLS 20000

static unsigned long entry;

static long long
now_ns (void)
{
  struct timespec t;

  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int
main (void)
{
  long long start, loop, int80, call;
  long i, ret;

  entry = getauxval (AT_SYSINFO);
  if (entry == 0)
    {
      fprintf (stderr, "ia32-getppid: no AT_SYSINFO\n");
      return 1;
    }

  start = now_ns ();
  for (i = 0; i < CALLS; i++)
    asm volatile ("" ::: "memory");
  loop = now_ns ();
  for (i = 0; i < CALLS; i++)
    asm volatile ("int $0x80" : "=a" (ret) : "0" (64L) : "memory");
  int80 = now_ns ();
  for (i = 0; i < CALLS; i++)
    asm volatile ("call *%1" : "=a" (ret) : "m" (entry), "0" (64L)
		  : "memory");
  call = now_ns ();

  printf ("AT_SYSINFO %s: loop %.1f int80 %.1f call %.1f ns per call\n",
	  memcmp ((void *) (entry - 4), "KML1", 4) == 0 ? "kml" : "vdso",
	  (double) (loop - start) / CALLS, (double) (int80 - loop) / CALLS,
	  (double) (call - int80) / CALLS);
  return 0;
}
