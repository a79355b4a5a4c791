/* The Kernel Mode Linux entry for ld.so and static programs.  x86-64.
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

#include <sysdep.h>

/* The kernel-mode entry from AT_SYSINFO, or 0 (no KML: `syscall'): the
   copy of ld.so and of static programs (sysdep-dl-routines); libc.so has
   its own (libc-kml-entry.c).  They read it before the TCB exists, see
   ENTER_KERNEL in sysdep.h.  Written once by _dl_parse_auxv, before RELRO
   is applied; every system call site calls it, so it is read-only from
   then on.  */
unsigned long int _dl_kml_entry attribute_relro;
