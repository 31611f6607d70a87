// See include/RecurrentKernels.h. StepKernels.inc holds the kernels; this file compiles them
// once per instruction set and picks one at the first call.
#include "RecurrentKernels.h"

// A 16-float vector passed by value is passed differently with and without AVX-512 (-Wpsabi
// warns). Here no such value crosses a call between differently compiled functions: the
// helpers are static and inlined into the kernels of their own copy.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef int v16i __attribute__((vector_size(64), aligned(4)));
typedef unsigned v16u __attribute__((vector_size(64), aligned(4)));

struct StepKernels {
    void (*lstm_forward)(float *, const float *, const float *, float *, float *, long);
    void (*lstm_backward)(const float *, const float *, const float *, const float *, const float *, float *, float *, long);
    void (*gru_forward)(float *, const float *, const float *, float *, long);
    void (*gru_backward)(const float *, const float *, const float *, const float *, float *, float *, float *, long);
    const char *isa;
};

#define KERNEL(name) name##_baseline
#define KERNEL_ISA "baseline"
#include "StepKernels.inc"
#undef KERNEL
#undef KERNEL_ISA

#if defined(__x86_64__) && defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define KERNEL(name) name##_avx2
#define KERNEL_ISA "avx2"
#include "StepKernels.inc"
#undef KERNEL
#undef KERNEL_ISA
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"))), apply_to = function)
#define KERNEL(name) name##_avx512
#define KERNEL_ISA "avx512"
#include "StepKernels.inc"
#undef KERNEL
#undef KERNEL_ISA
#pragma clang attribute pop
#endif

// The widest set this CPU (and its OS) runs. Racing first calls store the same pointer.
static const struct StepKernels *active(void) {
    static const struct StepKernels *chosen;
    const struct StepKernels *k = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (k) return k;
    k = &kernels_baseline;
#if defined(__x86_64__) && defined(__clang__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
        k = &kernels_avx512;
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        k = &kernels_avx2;
    }
#endif
    __atomic_store_n(&chosen, k, __ATOMIC_RELEASE);
    return k;
}

void synapse_lstm_step_forward(float *z, const float *bias, const float *c_prev, float *c, float *h, long H) {
    active()->lstm_forward(z, bias, c_prev, c, h, H);
}

void synapse_lstm_step_backward(const float *a, const float *c, const float *c_prev, const float *dy,
                                const float *carry, float *dc, float *dz, long H) {
    active()->lstm_backward(a, c, c_prev, dy, carry, dc, dz, H);
}

void synapse_gru_step_forward(float *a, const float *hh, const float *h_prev, float *h, long H) {
    active()->gru_forward(a, hh, h_prev, h, H);
}

void synapse_gru_step_backward(const float *a, const float *hn, const float *h_prev, const float *dy,
                               float *carry, float *dgx, float *dgh, long H) {
    active()->gru_backward(a, hn, h_prev, dy, carry, dgx, dgh, H);
}

const char *synapse_recurrent_kernels_isa(void) { return active()->isa; }
