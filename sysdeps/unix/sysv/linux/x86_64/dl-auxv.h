/* Auxiliary vector processing for Linux/x86-64.
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

/* Kernel Mode Linux: AT_SYSINFO is the kernel-mode entry (see
   ENTER_KERNEL in sysdep.h); the kernel passes it only to KML processes.
   Taken whether or not there is a vDSO (AT_SYSINFO_EHDR), unlike the
   NEED_DL_SYSINFO code of i386, and never derived from the vDSO: the
   x86-64 vDSO has no entry point (e_entry is 0).  */
#define DL_PLATFORM_AUXV \
  _dl_kml_entry = auxv_values[AT_SYSINFO];
