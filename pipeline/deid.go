package pipeline

import (
	"sync/atomic"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/deid"
	"github.com/medbert/medbert/kernels"
)

// Deidentify replaces the PHI in every example's text and text pair with
// r (typed placeholders, or surrogates with per-patient date shifts keyed
// by the example's ID) before anything is tokenized, in parallel. It
// returns how many identifiers it replaced.
func Deidentify(r *deid.Replacer, exs []data.Example) int {
	var n atomic.Int64
	kernels.ParallelFor(len(exs), 16, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			e := &exs[i]
			var spans []deid.Span
			e.Text, spans = r.Redact(e.Text, e.ID)
			k := len(spans)
			if e.TextPair != "" {
				e.TextPair, spans = r.Redact(e.TextPair, e.ID)
				k += len(spans)
			}
			n.Add(int64(k))
		}
	})
	return int(n.Load())
}
