/* kml-preload.so: a library that reports the privilege level it runs at as
   soon as it is loaded (kml.security).

   ld.so honours /etc/ld.so.preload even under AT_SECURE, since only root
   can write it, but it reads the file from the exec'ing task's root: in a
   chroot of the user's own, it is the user's file, and this library is
   the user's code.  */

#include <stdio.h>
#include <unistd.h>

__attribute__ ((constructor)) static void
report_cpl (void)
{
  unsigned short cs;
  char line[32];
  int len;

  __asm__ volatile ("mov %%cs, %0" : "=r" (cs));
  len = snprintf (line, sizeof line, "preload cpl=%d\n", cs & 3);
  /* write, not stdio: the program's own output must not be reordered.  */
  if (write (STDOUT_FILENO, line, len) != len)
    _exit (1);
}
