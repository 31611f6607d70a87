// Shim for OpenBLAS's C interface (found through pkg-config `openblas`).
// No stable API: only what Synapse's kernels call.
#include <cblas.h>
