/* Auxiliary vector processing for Linux/i386.
   Copyright The GNU Toolchain Authors.
   This file is part of the GNU C Library.

   The GNU C Library is free software; you can redistribute it and/or
   modify it under the terms of the GNU Lesser General Public
   License as published by the Free Software Foundation; either
   version 2.1 of the License, or (at your option) any later version.

   The GNU C Library is distributed in the hope that it will be useful,
   but WITHOUT ANY WARRANTY; without even the implied warranty of
   MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
   Lesser General Public License for more details.

   You should have received a copy of the GNU Lesser General Public
   License along with the GNU C Library; if not, see
   <https://www.gnu.org/licenses/>.  */

#include <dl-sysdep.h>

/* Kernel Mode Linux: AT_SYSINFO of an IA-32 task in kernel mode is the
   kernel-mode entry, recognised by the "KML1" before it (see
   DL_SYSINFO_IS_KML in dl-sysdep.h); every other task gets
   __kernel_vsyscall, or nothing.  Keep a KML entry
   - in _dl_kml_entry, for the system calls of ld.so and of static
     start-up (_dl_sysinfo_int80), which run before %gs is set up;
   - in dl_sysinfo, for libc's `call *%gs:SYSINFO_OFFSET', also when there
     is no vDSO: the generic code above takes AT_SYSINFO only together
     with a vDSO, and would leave dl_sysinfo at _dl_sysinfo_int80.  */
#define DL_PLATFORM_AUXV \
  if (DL_SYSINFO_IS_KML (auxv_values[AT_SYSINFO]))			      \
    GLRO(dl_sysinfo) = _dl_kml_entry = auxv_values[AT_SYSINFO];
