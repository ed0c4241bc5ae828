package tokencls

import (
	"context"
	"errors"
	"math"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/metrics"
	"github.com/medbert/medbert/tokenize"
)

// Report is an evaluation of token classification on tagged sentences.
type Report struct {
	// Loss is the mean cross-entropy over the labelled pieces, as the
	// training loss.
	Loss float64
	// Accuracy is the fraction of words whose tag is right (seqeval
	// accuracy_score).
	Accuracy float64
	// Entities are entity-level precision, recall and F1 per type and
	// averaged (seqeval classification_report, default mode); Micro is
	// seqeval's f1_score.
	Entities  metrics.EntityResult
	Sentences int
	Words     int
	// Pred are the predicted tags, one per word of each sentence.
	Pred [][]string
}

// Metrics flattens the report into the numbers the Trainer logs (without
// the "eval_" prefix): loss, precision, recall, f1 (micro), f1_macro,
// accuracy and <type>_precision/_recall/_f1 per entity type.
func (r *Report) Metrics() map[string]float64 {
	m := map[string]float64{
		"loss": r.Loss, "accuracy": r.Accuracy,
		"precision": r.Entities.Micro.Precision, "recall": r.Entities.Micro.Recall, "f1": r.Entities.Micro.F1,
		"f1_macro": r.Entities.Macro.F1, "num_samples": float64(r.Sentences),
	}
	for i, typ := range r.Entities.Types {
		s := r.Entities.PerType[i]
		m[typ+"_precision"], m[typ+"_recall"], m[typ+"_f1"] = s.Precision, s.Recall, s.F1
	}
	return m
}

// MetricNames are the names Metrics always produces, for checking
// --metric-for-best-model before any training; per-type names
// (<type>_precision, _recall, _f1) depend on the data.
var MetricNames = []string{"loss", "accuracy", "precision", "recall", "f1", "f1_macro", "num_samples"}

// IsPerTypeMetric reports whether name has the form of a per-type metric.
func IsPerTypeMetric(name string) bool {
	for _, suf := range []string{"_precision", "_recall", "_f1"} {
		if t, ok := strings.CutSuffix(name, suf); ok && t != "" {
			return true
		}
	}
	return false
}

// Evaluate tags the sentences with m and scores the tags against theirs.
func Evaluate(ctx context.Context, m *bert.Model, tok *tokenize.Tokenizer, sents []data.Sentence, opt Options) (*Report, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	feats, err := Featurize(tok, sents, label2id(m.Config.Labels()), opt)
	if err != nil {
		return nil, err
	}
	return evaluateFeatures(ctx, m, tok.PadID(), sents, feats, opt)
}

func evaluateFeatures(ctx context.Context, m *bert.Model, padID int, sents []data.Sentence, feats []Feature, opt Options) (*Report, error) {
	if len(sents) == 0 {
		return nil, errors.New("no sentences to evaluate")
	}
	logits, err := runLogits(ctx, m, padID, feats, opt.BatchSize)
	if err != nil {
		return nil, err
	}
	names := m.Config.Labels()
	nl := len(names)
	r := &Report{Sentences: len(sents), Pred: make([][]string, len(sents))}
	var nll float64
	var labelled, right int
	for i, f := range feats {
		for j, y := range f.Labels {
			if y != bert.IgnoreIndex {
				nll -= logSoftmaxAt(logits[i][j*nl:(j+1)*nl], y)
				labelled++
			}
		}
	}
	if labelled > 0 {
		r.Loss = nll / float64(labelled)
	}
	gold := make([][]string, len(sents))
	for lo := 0; lo < len(feats); {
		hi := lo
		for hi < len(feats) && feats[hi].Sentence == feats[lo].Sentence {
			hi++
		}
		si := feats[lo].Sentence
		toks := mergeWindows(feats[lo:hi], logits[lo:hi], nl)
		pred := make([]string, len(sents[si].Tokens))
		for w := range pred {
			pred[w] = "O"
		}
		seen := make([]bool, len(pred))
		for _, tk := range toks {
			if !seen[tk.word] {
				seen[tk.word] = true
				pred[tk.word] = names[argmax(tk.logits)]
			}
		}
		r.Pred[si] = pred
		lo = hi
	}
	for si, s := range sents {
		if r.Pred[si] == nil { // a sentence with no tokens at all
			r.Pred[si] = make([]string, len(s.Tokens))
			for w := range r.Pred[si] {
				r.Pred[si][w] = "O"
			}
		}
		gold[si] = s.Tags
		if s.Tags == nil {
			return nil, errors.New(s.Pos.String() + ": sentence has no tags to evaluate against")
		}
		for w, t := range s.Tags {
			if r.Pred[si][w] == t {
				right++
			}
		}
		r.Words += len(s.Tags)
	}
	if r.Words > 0 {
		r.Accuracy = float64(right) / float64(r.Words)
	}
	if r.Entities, err = entityScores(gold, r.Pred); err != nil {
		return nil, err
	}
	return r, nil
}

// runLogits runs inference over the features in batches and returns each
// feature's logits, row-major (positions × labels).
func runLogits(ctx context.Context, m *bert.Model, padID int, feats []Feature, batch int) ([][]float32, error) {
	out := make([][]float32, 0, len(feats))
	for i := 0; i < len(feats); i += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fs := make([]*Feature, 0, batch)
		for k := i; k < min(i+batch, len(feats)); k++ {
			fs = append(fs, &feats[k])
		}
		in, _ := collate(fs, padID, 1, 0)
		o, err := m.Forward(in, nil, bert.Options{})
		if err != nil {
			return nil, err
		}
		nl := o.Logits.Shape[2]
		for b, f := range fs {
			row := o.Logits.Data[b*in.Seq*nl : (b*in.Seq+len(f.IDs))*nl]
			out = append(out, append([]float32(nil), row...))
		}
	}
	return out, nil
}

// token is one text token of a whole (unwindowed) sequence with the
// logits of the window that gives it the most context.
type token struct {
	word   int
	start  int // byte offsets into the encoded text
	end    int
	piece  string
	logits []float32
}

// mergeWindows lists the text tokens of one sequence's windows (feats in
// window order) once each, taking each token's logits from the window where
// its distance to the nearer window edge is largest (HF's "max context"
// rule for overlapping windows; the earlier window wins ties).
func mergeWindows(feats []Feature, logits [][]float32, nl int) []token {
	var out []token
	var ctxLen []int
	for k, f := range feats {
		n := 0
		for _, w := range f.Words {
			if w >= 0 {
				n++
			}
		}
		for j := 1; j <= n; j++ {
			a := f.First + j - 1
			c := min(j-1, n-j)
			tk := token{word: f.Words[j], start: f.Offsets[j][0], end: f.Offsets[j][1], piece: f.Tokens[j],
				logits: logits[k][j*nl : (j+1)*nl]}
			switch {
			case a == len(out):
				out = append(out, tk)
				ctxLen = append(ctxLen, c)
			case a < len(out) && c > ctxLen[a]:
				out[a], ctxLen[a] = tk, c
			}
		}
	}
	return out
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// softmax returns the probabilities of a logits row in float64.
func softmax(x []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	p := make([]float64, len(x))
	var s float64
	for i, v := range x {
		p[i] = math.Exp(float64(v) - mx)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

func logSoftmaxAt(x []float32, y int) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	return float64(x[y]) - mx - math.Log(s)
}
