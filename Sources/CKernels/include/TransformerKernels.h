// The row softmax of causal attention, the tanh GELU and layer norm, in C (Kernels.c says why
// and how it is compiled for AVX-512, AVX2 + FMA and the baseline; measured at the GPT
// peer's shapes, see CausalSelfAttention.swift, GELUTanh.swift and LayerNorm.swift).
// No stable API: only what SynapseCore's `causalSelfAttention`, `geluTanh` and `layerNorm`
// call; their doc comments give the formulas, and `causalSelfAttentionReference`, the libm
// form of the GELU and the numpy references in the tests are the oracles.
#ifndef SYNAPSE_TRANSFORMER_KERNELS_H
#define SYNAPSE_TRANSFORMER_KERNELS_H

// Causal softmax in place over `rows` rows of scores (row stride ld): row i becomes the
// softmax of its first visible + i entries, and its entries visible + i ..< width become 0
// (the masked future). Requires visible ≥ 1 and visible + rows − 1 ≤ width.
void synapse_causal_softmax_rows(float *s, long ld, long rows, long visible, long width);

// Softmax backward in place over `rows` rows (row stride ld for both d and p): on entry row i
// of d holds dP, on return dS = P ⊙ (dP − Σ dP ⊙ P) over its first visible + i entries and 0
// in entries visible + i ..< width.
void synapse_softmax_backward_rows(float *d, const float *p, long ld, long rows, long visible, long width);

// y = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))) over n floats.
void synapse_gelu_tanh_forward(const float *x, float *y, long n);

// dx = dy · gelu_tanh'(x) over n floats; added to dx when accumulate is non-zero, stored
// otherwise (dx then need not be initialized).
void synapse_gelu_tanh_backward(const float *x, const float *dy, float *dx, long n, int accumulate);

// Layer norm forward over `rows` rows of C floats: writes mean[r], rstd[r] = 1/√(var + eps)
// (biased variance) and y = (x − mean)·rstd·w + b.
void synapse_layer_norm_forward(const float *x, const float *w, const float *b, float *y,
                                float *mean, float *rstd, long rows, long C, float eps);

// Layer norm backward from the saved mean and rstd: with x̂ = (x − mean)·rstd and g = w ⊙ dy per
// row, dx = rstd·(g − mean(g) − x̂·mean(g ⊙ x̂)) (added to dx when accumulate is non-zero,
// stored otherwise; skipped when dx is NULL); dw += Σ_rows dy ⊙ x̂ and db += Σ_rows dy (each
// skipped when NULL).
void synapse_layer_norm_backward(const float *dy, const float *x, const float *w, const float *mean,
                                 const float *rstd, float *dx, float *dw, float *db,
                                 long rows, long C, int accumulate);

#endif
