// The pointwise gate math of one LSTM or GRU step for one sequence, in C (Kernels.c says why
// and how it is compiled for AVX-512, AVX2 + FMA and the baseline).
// No stable API: only what SynapseCore's `lstm` and `gru` call; their doc comments give the
// formulas, and the Swift reference cells (`lstmCellReference`, `gruCellReference`) are the
// oracle the tests compare these kernels with.
#ifndef SYNAPSE_RECURRENT_KERNELS_H
#define SYNAPSE_RECURRENT_KERNELS_H

// LSTM forward, one sequence at one step. z [4H]: x W_ihᵀ + h W_hhᵀ (i, f, g, o blocks), to
// which bias [4H] (b_ih + b_hh; NULL for none) is added, then overwritten with the activations;
// c_prev [H]: c_{t-1}; writes c [H] = c_t and h [H] = h_t.
void synapse_lstm_step_forward(float *z, const float *bias, const float *c_prev, float *c, float *h, long H);

// LSTM backward, one sequence at one step. a [4H]: the activations i, f, g, o; c, c_prev [H];
// dy [H]: dL/dh_t from the output; carry [H]: dL/dh_t from step t+1; dc [H]: dL/dc_t, updated
// to dL/dc_{t-1}; writes dz [4H], the gradient of the pre-activations (dz may be a: each
// block of a is read before its gradient is stored).
void synapse_lstm_step_backward(const float *a, const float *c, const float *c_prev, const float *dy,
                                const float *carry, float *dc, float *dz, long H);

// GRU forward, one sequence at one step. a [3H]: the input side x W_ihᵀ + b_ih (r, z, n
// blocks), overwritten with the activations r, z, n; hh [3H]: the hidden side h W_hhᵀ + b_hh;
// h_prev [H]; writes h [H] = h_t.
void synapse_gru_step_forward(float *a, const float *hh, const float *h_prev, float *h, long H);

// GRU backward, one sequence at one step. a [3H]: the activations r, z, n; hn [H]: the hidden
// side's n block W_hn h_{t-1} + b_hn; h_prev, dy [H]; carry [H]: dL/dh_t from step t+1, replaced
// by the part of dL/dh_{t-1} that bypasses W_hh (dh ⊙ z); writes dgx [3H] and dgh [3H], the
// gradients of the input-side and hidden-side pre-activations (dgx may be a and dgh may be
// hn − 2H, the hidden side's row: each block is read before its gradient is stored).
void synapse_gru_step_backward(const float *a, const float *hn, const float *h_prev, const float *dy,
                               float *carry, float *dgx, float *dgh, long H);

// Which compilation the kernels run: "avx512", "avx2" or "baseline".
const char *synapse_kernels_isa(void);

#endif
