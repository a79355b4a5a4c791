/* libkml-stub: libkml's kml_syscall6 against a stand-in for the KML entry,
   on any kernel (kml.libkml/stub.exp).

   The stand-in does what the kernel's entry does to the caller's stack:
   it takes the return address off the stack, makes the system call (the
   trapping instruction here) and jumps back, with RSP or ESP as after
   RET.  Each check prints one line:

     red zone: intact     a function that keeps data below RSP (x86-64,
			  built with a red zone) finds it unchanged after a
			  system call; the inline call of kml.h 1 wrote its
			  return address there
     six arguments: ok    mmap of a file at a page offset: every argument
			  register reaches the kernel
     marker: ok           (i686) an AT_SYSINFO without "KML1" before it is
			  no entry
     entry calls: N       how many calls the stand-in took

   "libkml-stub restart" instead uses the process's own entry (kml_entry:
   the KML entry from /trusted, none elsewhere) for one check:

     restart: ok          a read blocked in kml_syscall6 is restarted after
			  a SA_RESTART handler; on i686 through the vDSO's
			  __kernel_kml_restart, the stub's call not being
			  the 7-byte "call *%gs:0x10" the kernel goes back to

   Built with -DKML_NO_RED_ZONE -mno-red-zone, it checks the same with
   kml_syscall6_inline.  Exit status 0 when every check passed.  */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../vdso/kml.h"
#include "wait-sleeping.h"

#ifdef KML_NO_RED_ZONE
# define SYSCALL6 kml_syscall6_inline
#else
# define SYSCALL6 kml_syscall6
#endif

enum { RED_ZONE_WORDS = 16, PAGE = 4096 };
/* What the red zone holds: a word of either size.  */
#define RED_ZONE_PATTERN ((unsigned long) 0x5a5a5a5a5a5a5a5aULL)

/* Where the stand-in keeps the return address, and its count of calls.  */
unsigned long fake_return, fake_calls;
extern char fake_entry[], no_marker_entry[];

#ifdef __x86_64__
__asm__ (".text\n"
	 "fake_entry:\n\t"
	 "popq fake_return(%rip)\n\t"
	 "incq fake_calls(%rip)\n\t"
	 "syscall\n\t"
	 "jmp *fake_return(%rip)\n"
	 "no_marker_entry:\n\t"
	 "ud2\n");
#else
__asm__ (".text\n\t"
	 ".ascii \"KML1\"\n"
	 "fake_entry:\n\t"
	 "popl fake_return\n\t"
	 "incl fake_calls\n\t"
	 "int $0x80\n\t"
	 "jmp *fake_return\n\t"
	 ".ascii \"KML0\"\n"
	 "no_marker_entry:\n\t"
	 "ud2\n");
#endif

/* A leaf function but for the system call: with a red zone, the compiler
   keeps WORDS below RSP without moving RSP, unless it sees a call.  */
__attribute__ ((noinline)) static int
red_zone_intact (unsigned long entry, long *ppid)
{
  volatile unsigned long words[RED_ZONE_WORDS];
  int i, intact = 1;

  for (i = 0; i < RED_ZONE_WORDS; i++)
    words[i] = RED_ZONE_PATTERN + i;
  *ppid = SYSCALL6 (entry, SYS_getppid, 0, 0, 0, 0, 0, 0);
  for (i = 0; i < RED_ZONE_WORDS; i++)
    if (words[i] != RED_ZONE_PATTERN + i)
      intact = 0;
  return intact;
}

/* mmap of the second page of a file whose pages start with their index:
   the number, the address hint, length, protection, flags, descriptor
   and offset must each arrive where the kernel reads them.  */
static int
six_arguments (unsigned long entry)
{
  char path[] = "/tmp/libkml-stub.XXXXXX", page[PAGE];
  unsigned char *map;
  int fd = mkstemp (path), ok;
  long ret;

  if (fd < 0)
    return 0;
  unlink (path);
  memset (page, 0, sizeof page);
  page[0] = 0;
  if (write (fd, page, PAGE) != PAGE)
    return 0;
  page[0] = 1;
  if (write (fd, page, PAGE) != PAGE)
    return 0;
#ifdef __x86_64__
  ret = SYSCALL6 (entry, SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
#else
  /* mmap2 takes the offset in pages.  */
  ret = SYSCALL6 (entry, SYS_mmap2, 0, PAGE, PROT_READ, MAP_PRIVATE, fd, 1);
#endif
  close (fd);
  if ((unsigned long) ret > -4096UL)
    return 0;
  map = (unsigned char *) ret;
  ok = map[0] == 1;
  munmap (map, PAGE);
  return ok;
}

static int restart_pipe[2];

static void
write_awaited_byte (int sig)
{
  (void) sig;
  if (write (restart_pipe[1], "x", 1) != 1)
    _exit (2);
}

/* A child waits until this process sleeps in the read, then sends the
   signal whose handler writes the byte the read waits for: only a
   restarted read returns it.  */
static int
restarted_read (unsigned long entry)
{
  struct sigaction sa = { .sa_handler = write_awaited_byte,
			  .sa_flags = SA_RESTART };
  pid_t parent = getpid (), pid;
  char byte = 0;
  long ret;

  if (pipe (restart_pipe) != 0 || sigaction (SIGUSR1, &sa, NULL) != 0)
    return 0;
  pid = fork ();
  if (pid < 0)
    return 0;
  if (pid == 0)
    {
      wait_until_sleeping (parent);
      kill (parent, SIGUSR1);
      _exit (0);
    }
  ret = SYSCALL6 (entry, SYS_read, restart_pipe[0], (long) &byte, 1, 0, 0, 0);
  waitpid (pid, NULL, 0);
  return ret == 1 && byte == 'x';
}

int
main (int argc, char **argv)
{
  unsigned long entry = kml_entry_from_sysinfo ((unsigned long) fake_entry);
  int failed = 0;
  long ppid;

  if (argc == 2 && strcmp (argv[1], "restart") == 0)
    {
      if (restarted_read (kml_entry ()))
	{
	  printf ("restart: ok\n");
	  return 0;
	}
      printf ("restart: failed\n");
      return 1;
    }
  if (entry == 0)
    {
      printf ("the stand-in entry is not taken for an entry\n");
      return 1;
    }
  if (red_zone_intact (entry, &ppid) && ppid == getppid ())
    printf ("red zone: intact\n");
  else
    {
      printf ("red zone: overwritten\n");
      failed = 1;
    }
  if (six_arguments (entry))
    printf ("six arguments: ok\n");
  else
    {
      printf ("six arguments: wrong\n");
      failed = 1;
    }
#ifdef __i386__
  if (kml_entry_from_sysinfo ((unsigned long) no_marker_entry) == 0)
    printf ("marker: ok\n");
  else
    {
      printf ("marker: an entry without it was taken\n");
      failed = 1;
    }
#endif
  printf ("entry calls: %lu\n", fake_calls);
  return failed;
}
