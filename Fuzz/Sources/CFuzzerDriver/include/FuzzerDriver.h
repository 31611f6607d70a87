// libFuzzer's entry point for programs that have their own main (compiler-rt,
// FuzzerInterface.h): parses the libFuzzer flags in argv and runs the fuzzing loop on UserCb.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
