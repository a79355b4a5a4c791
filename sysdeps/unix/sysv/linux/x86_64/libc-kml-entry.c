/* The Kernel Mode Linux entry for libc.so.  x86-64.
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

#include <sys/auxv.h>
#include <sysdep.h>

/* libc.so's copy of the entry from AT_SYSINFO, or 0 (no KML: `syscall'),
   read by every system call site of libc.so (ENTER_KERNEL in sysdep.h).
   It must be written before libc.so's RELRO becomes read-only, which
   happens at the end of its relocation, before any of its constructors
   runs; and ld.so cannot write it, since it is hidden.  So it is computed
   by a relocation: its initializer is the address of an IFUNC, which the
   static linker turns into an IRELATIVE relocation, and ld.so stores
   there what the resolver returns when it relocates libc.so, before any
   code of libc.so makes a system call.  Nothing calls kml_entry_ifunc;
   only its resolved value is used.  GLRO(dl_auxv) is set by then, also in
   a static program's dlopen (__rtld_static_init).  The resolver reads
   nothing from the TCB, not even the stack guard.  */

static void (*
inhibit_stack_protector
kml_entry_resolver (void)) (void)
{
  unsigned long int entry;

  if (!__getauxval2 (AT_SYSINFO, &entry))
    entry = 0;
  return (void (*) (void)) entry;
}

static void kml_entry_ifunc (void)
  __attribute__ ((ifunc ("kml_entry_resolver")));

unsigned long int _dl_kml_entry attribute_relro
  = (unsigned long int) &kml_entry_ifunc;
