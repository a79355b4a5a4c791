/* C++ destructors on pthread_cancel () of an IA-32 thread (issue 15,
   item 4), built g++ -m32 for the i686 guest tests
   (kml.trusted/sigframe-unwind-i686.exp), dynamic and static.

   A thread blocked in glibc's read () holds an object whose destructor
   notes that it ran, inside a try block that catches the forced unwind
   (abi::__forced_unwind) and rethrows it.  pthread_cancel () makes glibc
   unwind the thread from the cancellation signal's handler: the catch
   block and the destructor run only if the unwinder gets through the
   signal frame, i.e. finds the unwind information of the kernel's
   restorer and of the PC the read () was interrupted at.  The
   cancellation is sent only once /proc shows the thread asleep
   (wait-sleeping.h).

   One line per check, the same from /trusted under Kernel Mode Linux as
   from anywhere else; the exit status is 0 when every check passed.  */

#include <cxxabi.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "wait-sleeping.h"

static volatile pid_t reader_tid;
static volatile int destructor_ran, forced_unwind_caught;

struct note_destruction
{
  ~note_destruction () { destructor_ran = 1; }
};

static void *
canceled_reader (void *arg)
{
  note_destruction guard;
  char c;

  try
    {
      reader_tid = gettid ();
      if (read (*static_cast<int *> (arg), &c, 1) < 0)
	return arg;
    }
  catch (abi::__forced_unwind &)
    {
      forced_unwind_caught = 1;
      throw;
    }
  return nullptr;
}

int
main ()
{
  const char *what = "pthread_cancel () in read ()";
  int fds[2];
  pthread_t thread;
  void *ret;

  setvbuf (stdout, nullptr, _IONBF, 0);
  if (pipe (fds) != 0
      || pthread_create (&thread, nullptr, canceled_reader, &fds[0]) != 0)
    {
      printf ("%s: no pipe or thread\n", what);
      return 1;
    }
  while (reader_tid == 0)
    sched_yield ();
  wait_until_sleeping (reader_tid);
  pthread_cancel (thread);
  pthread_join (thread, &ret);
  printf ("%s: %s\n", what,
	  ret == PTHREAD_CANCELED ? "canceled" : "not canceled");
  printf ("%s: catch (abi::__forced_unwind &) %s\n", what,
	  forced_unwind_caught ? "ran" : "did not run");
  printf ("%s: destructor %s\n", what,
	  destructor_ran ? "ran" : "did not run");
  return (ret != PTHREAD_CANCELED) + !forced_unwind_caught + !destructor_ran;
}
