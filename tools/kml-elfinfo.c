/* kml-elfinfo: print what kml-trust needs to know of an ELF file.

   kml-trust decides from these facts whether a program may go under the
   trusted directory.  It must also run where binutils is not installed
   (Debian's minimal system has no readelf), so this small reader takes
   readelf's place: the ELF header, the program headers, and from the
   dynamic section the needed libraries, the run paths and DF_1_PIE.  Only
   little-endian files are read further than the header (every x86 file is
   one).  The output is one "KEY VALUE" line per fact, for a shell to
   read:

     class 64 | 32
     data lsb | msb
     machine x86-64 | i386 | NUMBER
     type exec | dyn | rel | core | NUMBER
     interp PATH           the PT_INTERP, if any
     dynamic yes | no      whether it has a PT_DYNAMIC
     pie yes | no          DF_1_PIE in DT_FLAGS_1
     needed SONAME         one line per DT_NEEDED
     soname SONAME         DT_SONAME, if any
     rpath PATHS           DT_RPATH, if any
     runpath PATHS         DT_RUNPATH, if any  */

#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum
{
  EXIT_NOT_ELF = 1,
  EXIT_USAGE = 2
};

/* A program header or dynamic entry of either class, widened.  */
struct phdr
{
  uint32_t type;
  uint64_t offset, vaddr, filesz;
};

struct dyn
{
  int64_t tag;
  uint64_t val;
};

/* The file, mapped read-only.  */
struct elf
{
  const char *name;
  const unsigned char *data;
  size_t size;
  bool is64;
};

static void
usage (FILE *out)
{
  fprintf (out,
	   "Usage: kml-elfinfo FILE\n"
	   "\n"
	   "Print the facts of the ELF file FILE that kml-trust checks, one\n"
	   "\"KEY VALUE\" line each: class, data, machine, type, interp,\n"
	   "dynamic, pie, needed, soname, rpath, runpath.  Needs no binutils.\n"
	   "\n"
	   "Exit status: 0 when FILE is an ELF file, 1 when it is not or\n"
	   "cannot be read (a message on standard error), 2 usage error.\n");
}

static bool
fail (const struct elf *elf, const char *why)
{
  fprintf (stderr, "kml-elfinfo: %s: %s\n", elf->name, why);
  return false;
}

/* Is [OFFSET, OFFSET + SIZE) inside the file?  */
static bool
in_file (const struct elf *elf, uint64_t offset, uint64_t size)
{
  return offset <= elf->size && size <= elf->size - offset;
}

static bool
read_phdr (const struct elf *elf, uint64_t offset, struct phdr *phdr)
{
  if (elf->is64)
    {
      Elf64_Phdr p;
      if (!in_file (elf, offset, sizeof p))
	return false;
      memcpy (&p, elf->data + offset, sizeof p);
      *phdr = (struct phdr) { p.p_type, p.p_offset, p.p_vaddr, p.p_filesz };
    }
  else
    {
      Elf32_Phdr p;
      if (!in_file (elf, offset, sizeof p))
	return false;
      memcpy (&p, elf->data + offset, sizeof p);
      *phdr = (struct phdr) { p.p_type, p.p_offset, p.p_vaddr, p.p_filesz };
    }
  return true;
}

static bool
read_dyn (const struct elf *elf, uint64_t offset, struct dyn *dyn)
{
  if (elf->is64)
    {
      Elf64_Dyn d;
      if (!in_file (elf, offset, sizeof d))
	return false;
      memcpy (&d, elf->data + offset, sizeof d);
      *dyn = (struct dyn) { d.d_tag, d.d_un.d_val };
    }
  else
    {
      Elf32_Dyn d;
      if (!in_file (elf, offset, sizeof d))
	return false;
      memcpy (&d, elf->data + offset, sizeof d);
      *dyn = (struct dyn) { d.d_tag, d.d_un.d_val };
    }
  return true;
}

/* The file offset of the virtual address VADDR, through the PT_LOAD
   segments of PHDRS; -1 when no segment holds it.  */
static int64_t
vaddr_offset (const struct phdr *phdrs, size_t count, uint64_t vaddr)
{
  for (size_t i = 0; i < count; i++)
    if (phdrs[i].type == PT_LOAD && vaddr >= phdrs[i].vaddr
	&& vaddr - phdrs[i].vaddr < phdrs[i].filesz)
      return phdrs[i].offset + (vaddr - phdrs[i].vaddr);
  return -1;
}

/* A NUL-terminated string at OFFSET inside the file, or NULL.  */
static const char *
string_at (const struct elf *elf, uint64_t offset)
{
  if (offset >= elf->size
      || memchr (elf->data + offset, '\0', elf->size - offset) == NULL)
    return NULL;
  return (const char *) elf->data + offset;
}

static void
print_dynamic (const struct elf *elf, const struct phdr *dynamic,
	       const struct phdr *phdrs, size_t count)
{
  size_t entry_size = elf->is64 ? sizeof (Elf64_Dyn) : sizeof (Elf32_Dyn);
  int64_t strtab = -1;
  bool pie = false;
  struct dyn dyn;

  /* DT_STRTAB first: the string entries may come before it.  */
  for (uint64_t off = 0; off + entry_size <= dynamic->filesz; off += entry_size)
    {
      if (!read_dyn (elf, dynamic->offset + off, &dyn) || dyn.tag == DT_NULL)
	break;
      if (dyn.tag == DT_STRTAB)
	strtab = vaddr_offset (phdrs, count, dyn.val);
      if (dyn.tag == DT_FLAGS_1 && (dyn.val & DF_1_PIE))
	pie = true;
    }
  printf ("pie %s\n", pie ? "yes" : "no");
  if (strtab < 0)
    return;
  for (uint64_t off = 0; off + entry_size <= dynamic->filesz; off += entry_size)
    {
      const char *key, *value;

      if (!read_dyn (elf, dynamic->offset + off, &dyn) || dyn.tag == DT_NULL)
	break;
      switch (dyn.tag)
	{
	case DT_NEEDED: key = "needed"; break;
	case DT_SONAME: key = "soname"; break;
	case DT_RPATH: key = "rpath"; break;
	case DT_RUNPATH: key = "runpath"; break;
	default: continue;
	}
      value = string_at (elf, strtab + dyn.val);
      if (value != NULL)
	printf ("%s %s\n", key, value);
    }
}

static const char *
machine_name (unsigned machine, char *buf, size_t size)
{
  switch (machine)
    {
    case EM_X86_64: return "x86-64";
    case EM_386: return "i386";
    }
  snprintf (buf, size, "%u", machine);
  return buf;
}

static const char *
type_name (unsigned type, char *buf, size_t size)
{
  switch (type)
    {
    case ET_EXEC: return "exec";
    case ET_DYN: return "dyn";
    case ET_REL: return "rel";
    case ET_CORE: return "core";
    }
  snprintf (buf, size, "%u", type);
  return buf;
}

static bool
print_info (struct elf *elf)
{
  const unsigned char *ident = elf->data;
  uint64_t phoff;
  unsigned phnum, phentsize, type, machine;
  struct phdr *phdrs, dynamic = { PT_NULL, 0, 0, 0 };
  bool has_dynamic = false;
  char buf[16];

  if (elf->size < EI_NIDENT || memcmp (ident, ELFMAG, SELFMAG) != 0)
    return fail (elf, "not an ELF file");
  if (ident[EI_CLASS] != ELFCLASS64 && ident[EI_CLASS] != ELFCLASS32)
    return fail (elf, "unknown ELF class");
  elf->is64 = ident[EI_CLASS] == ELFCLASS64;
  printf ("class %d\n", elf->is64 ? 64 : 32);
  printf ("data %s\n", ident[EI_DATA] == ELFDATA2LSB ? "lsb" : "msb");
  if (ident[EI_DATA] != ELFDATA2LSB)
    return true;
  if (elf->is64)
    {
      Elf64_Ehdr h;
      if (!in_file (elf, 0, sizeof h))
	return fail (elf, "truncated ELF header");
      memcpy (&h, elf->data, sizeof h);
      type = h.e_type, machine = h.e_machine;
      phoff = h.e_phoff, phnum = h.e_phnum, phentsize = h.e_phentsize;
    }
  else
    {
      Elf32_Ehdr h;
      if (!in_file (elf, 0, sizeof h))
	return fail (elf, "truncated ELF header");
      memcpy (&h, elf->data, sizeof h);
      type = h.e_type, machine = h.e_machine;
      phoff = h.e_phoff, phnum = h.e_phnum, phentsize = h.e_phentsize;
    }
  printf ("machine %s\n", machine_name (machine, buf, sizeof buf));
  printf ("type %s\n", type_name (type, buf, sizeof buf));
  if (phnum == 0)
    {
      printf ("dynamic no\n");
      return true;
    }
  if (phentsize != (elf->is64 ? sizeof (Elf64_Phdr) : sizeof (Elf32_Phdr)))
    return fail (elf, "odd program header size");
  phdrs = calloc (phnum, sizeof *phdrs);
  if (phdrs == NULL)
    return fail (elf, strerror (errno));
  for (unsigned i = 0; i < phnum; i++)
    if (!read_phdr (elf, phoff + (uint64_t) i * phentsize, &phdrs[i]))
      {
	free (phdrs);
	return fail (elf, "program headers outside the file");
      }
  for (unsigned i = 0; i < phnum; i++)
    {
      if (phdrs[i].type == PT_INTERP)
	{
	  /* Without its NUL if the segment has one.  */
	  if (!in_file (elf, phdrs[i].offset, phdrs[i].filesz))
	    continue;
	  printf ("interp %.*s\n", (int) strnlen ((const char *) elf->data
						   + phdrs[i].offset,
						   phdrs[i].filesz),
		  (const char *) elf->data + phdrs[i].offset);
	}
      if (phdrs[i].type == PT_DYNAMIC)
	{
	  dynamic = phdrs[i];
	  has_dynamic = true;
	}
    }
  printf ("dynamic %s\n", has_dynamic ? "yes" : "no");
  if (has_dynamic)
    print_dynamic (elf, &dynamic, phdrs, phnum);
  else
    printf ("pie no\n");
  free (phdrs);
  return true;
}

int
main (int argc, char **argv)
{
  struct elf elf = { 0 };
  struct stat st;
  void *map;
  int fd;
  bool ok;

  if (argc == 2
      && (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0))
    {
      usage (stdout);
      return 0;
    }
  if (argc != 2 || argv[1][0] == '-')
    {
      usage (stderr);
      return EXIT_USAGE;
    }
  elf.name = argv[1];
  fd = open (elf.name, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      fprintf (stderr, "kml-elfinfo: %s: %s\n", elf.name, strerror (errno));
      return EXIT_NOT_ELF;
    }
  if (!S_ISREG (st.st_mode) || st.st_size == 0)
    {
      close (fd);
      fail (&elf, "not an ELF file");
      return EXIT_NOT_ELF;
    }
  map = mmap (NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close (fd);
  if (map == MAP_FAILED)
    {
      fprintf (stderr, "kml-elfinfo: %s: %s\n", elf.name, strerror (errno));
      return EXIT_NOT_ELF;
    }
  elf.data = map;
  elf.size = st.st_size;
  ok = print_info (&elf);
  munmap (map, st.st_size);
  if (fflush (stdout) != 0)
    {
      fprintf (stderr, "kml-elfinfo: standard output: %s\n", strerror (errno));
      return EXIT_NOT_ELF;
    }
  return ok ? 0 : EXIT_NOT_ELF;
}
