/* kmlinfo: say whether this process runs in kernel mode and how it enters
   the kernel.  Put it under /trusted to see what a trusted program gets.  */

#include <stdio.h>
#include <string.h>

#include "../vdso/kml.h"

int
main (void)
{
  unsigned long entry = kml_entry ();
  char line[256];
  int kernel_mode = -1;
  FILE *status = fopen ("/proc/self/status", "re");

  if (status != NULL)
    {
      while (fgets (line, sizeof line, status) != NULL)
	if (sscanf (line, "KernelMode: %d", &kernel_mode) == 1)
	  break;
      fclose (status);
    }
  if (kernel_mode < 0)
    printf ("kernel mode: unknown (this kernel has no KML)\n");
  else
    printf ("kernel mode: %s\n", kernel_mode ? "yes" : "no");
  if (entry != 0)
    printf ("system calls: direct (AT_SYSINFO entry %#lx)\n", entry);
  else
    printf ("system calls: syscall instruction (no AT_SYSINFO)\n");
  return 0;
}
