/* runas: run a command as another user, with nothing of root left.

   Usage: runas UID GID[,GID...] COMMAND [ARG...]

   The first GID is the real, effective and saved group; all of them are
   the supplementary groups.  setuid() from root to another user clears
   every capability (no SECBIT_KEEP_CAPS), so COMMAND starts as an
   ordinary unprivileged process.  No no_new_privs either: KML refuses an
   exec under it, and the attacks of kml.security must meet the kernel's
   policy, not ours.  The guest's busybox has no applet that sets the
   supplementary groups.

   Exit status: COMMAND's, 125 when runas fails, 126 when COMMAND cannot
   run, 127 when it is not found (as env(1)).  */

#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_GROUPS = 16 };

static unsigned long
number (const char *text)
{
  char *end;
  unsigned long value;

  errno = 0;
  value = strtoul (text, &end, 10);
  if (errno != 0 || end == text || *end != '\0')
    {
      fprintf (stderr, "runas: %s: not a number\n", text);
      exit (125);
    }
  return value;
}

int
main (int argc, char **argv)
{
  gid_t groups[MAX_GROUPS];
  size_t ngroups = 0;
  char *list, *gid;
  uid_t uid;

  if (argc < 4)
    {
      fprintf (stderr, "usage: runas UID GID[,GID...] COMMAND [ARG...]\n");
      return 125;
    }
  uid = number (argv[1]);
  list = argv[2];
  while ((gid = strsep (&list, ",")) != NULL)
    {
      if (ngroups == MAX_GROUPS)
	{
	  fprintf (stderr, "runas: more than %d groups\n", MAX_GROUPS);
	  return 125;
	}
      groups[ngroups++] = number (gid);
    }
  if (setgroups (ngroups, groups) != 0
      || setresgid (groups[0], groups[0], groups[0]) != 0
      || setresuid (uid, uid, uid) != 0)
    {
      perror ("runas");
      return 125;
    }
  execvp (argv[3], argv + 3);
  fprintf (stderr, "runas: %s: %s\n", argv[3], strerror (errno));
  return errno == ENOENT ? 127 : 126;
}
