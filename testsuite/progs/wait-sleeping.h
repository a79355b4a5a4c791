/* wait_until_sleeping: spin until a thread sleeps in a blocking call.

   The test programs use it instead of a timeout: a signal or a
   cancellation meant for a thread blocked in a system call is sent only
   once /proc shows that thread in state S.  */

#ifndef WAIT_SLEEPING_H
#define WAIT_SLEEPING_H

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static void
wait_until_sleeping (pid_t tid)
{
  char path[64], state[512];

  snprintf (path, sizeof path, "/proc/%d/stat", (int) tid);
  for (;;)
    {
      int fd = open (path, O_RDONLY);
      ssize_t len = read (fd, state, sizeof state - 1);

      close (fd);
      state[len > 0 ? len : 0] = '\0';
      if (strstr (state, ") S ") != NULL)
	return;
      sched_yield ();
    }
}

#endif
