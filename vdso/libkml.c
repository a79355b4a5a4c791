/* libkml: find the Kernel Mode Linux direct system call entry.  */

#include <sys/auxv.h>

#include "kml.h"

unsigned long
kml_entry (void)
{
  return kml_entry_from_sysinfo (getauxval (KML_AT_SYSINFO));
}
