/* The Kernel Mode Linux entry for ld.so and static programs.  i386.
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

/* The same variable as on x86-64: the KML entry, or 0 (no KML: int $0x80).
   Only ld.so and libc.a have it; it is set by DL_PLATFORM_AUXV (dl-auxv.h)
   and read by _dl_sysinfo_int80 (dl-sysdep.h).  */
#include <sysdeps/unix/sysv/linux/x86_64/dl-kml-entry.c>
