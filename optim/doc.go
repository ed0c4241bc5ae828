// Package optim holds the fine-tuning optimizer of Hugging Face's Trainer:
// torch.optim.AdamW (1.13 `_single_tensor_adamw`) with HF's decay/no-decay
// parameter groups, torch's clip_grad_norm_, HF's learning-rate schedules
// with LambdaLR stepping, and resumable state.
//
// It works on plain float32 slices (Param) so it depends on no engine
// package. One training step, in HF's order:
//
//	norm := optim.ClipGradNorm(params, maxGradNorm) // pre-clip global norm
//	opt.Step(sched.LR())                          // lr = base * f(steps done)
//	sched.Step()
//
// All arithmetic that torch does on float32 tensors is done in float32 here,
// in the same order, with explicit conversions that forbid fused
// multiply-adds, so results do not depend on GOARCH or GOAMD64; scalars that
// torch keeps as Python floats (lr, bias corrections) are float64.
package optim
