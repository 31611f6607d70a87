// Shim for zlib (pkg-config `zlib`), used to read gzip-compressed IDX files.
#include <zlib.h>
