package seqcls

import (
	"context"
	"math"

	"github.com/medbert/medbert/bert"
)

// DefaultBatchSize is the inference batch when none is given.
const DefaultBatchSize = 8

// Logits runs inference (eval mode, no graph) over features in batches of
// batchSize and returns one row of logits per feature. Only the logits are
// read, so the last layer runs for [CLS] only (bert.Options.PooledOnly). ctx is checked between batches. It is safe to call from many
// goroutines on one model.
func Logits(ctx context.Context, m *bert.Model, fs []Features, padID, batchSize int) ([][]float32, error) {
	if batchSize < 1 {
		batchSize = DefaultBatchSize
	}
	out := make([][]float32, 0, len(fs))
	for i := 0; i < len(fs); i += batchSize {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := fs[i:min(i+batchSize, len(fs))]
		o, err := m.Forward(Collate(b, padID), nil, bert.Options{PooledOnly: m.Bert.Pooler != nil})
		if err != nil {
			return nil, err
		}
		c := o.Logits.Shape[len(o.Logits.Shape)-1]
		for r := range b {
			out = append(out, append([]float32(nil), o.Logits.Data[r*c:(r+1)*c]...))
		}
	}
	return out, nil
}

// Softmax returns the class probabilities of one logits row, in float64.
func Softmax(logits []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	p := make([]float64, len(logits))
	var s float64
	for i, v := range logits {
		p[i] = math.Exp(float64(v) - mx)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}
