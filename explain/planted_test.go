package explain

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/optim"
	"github.com/medbert/medbert/tokenize"
)

// The planted-keyword task: each text is filler words with exactly one
// keyword somewhere; the label is which keyword it is. A classifier that
// learned the task can only have looked at the keyword.
var (
	plantedKeywords = []string{"pneumonia", "fracture", "sepsis"}
	plantedFiller   = strings.Fields("the patient was seen today and reports mild pain after a long walk with no other complaints since last visit in clinic")
)

func plantedText(rng *rand.Rand) (string, int) {
	label := rng.IntN(len(plantedKeywords))
	n := 5 + rng.IntN(6)
	words := make([]string, n)
	for i := range words {
		words[i] = plantedFiller[rng.IntN(len(plantedFiller))]
	}
	words[rng.IntN(n)] = plantedKeywords[label]
	return strings.Join(words, " "), label
}

// trainPlanted trains a small BERT from scratch on the planted-keyword
// task with a plain loop over the public API (forward with grad, loss,
// backward, AdamW), a few seconds on one core.
func trainPlanted(t *testing.T) (*bert.Model, *tokenize.Tokenizer) {
	t.Helper()
	toks := append([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}, plantedKeywords...)
	toks = append(toks, plantedFiller...)
	v, err := tokenize.NewVocab("planted", dedupe(toks))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.New(v, tokenize.DefaultSettings(true))
	if err != nil {
		t.Fatal(err)
	}
	cfg := bert.DefaultConfig()
	cfg.VocabSize, cfg.HiddenSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads = v.Len(), 32, 2, 2
	cfg.IntermediateSize, cfg.MaxPositionEmbeddings = 64, 16
	cfg.HiddenDropoutProb, cfg.AttentionProbsDropoutProb = 0, 0
	cfg.SetLabels(plantedKeywords)
	m, err := bert.New(cfg, bert.HeadSeqCls, 1)
	if err != nil {
		t.Fatal(err)
	}
	var ps []optim.Param
	for _, p := range m.Params() {
		p.T.Grad = make([]float32, len(p.T.Data))
		ps = append(ps, optim.Param{Name: p.Name, Data: p.T.Data, Grad: p.T.Grad})
	}
	opt, err := optim.NewAdamW(ps, optim.DefaultAdamWConfig())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const batch, seq = 16, 12
	for range 300 {
		in := &bert.Input{Batch: batch, Seq: seq, InputIDs: make([]int, batch*seq), AttentionMask: make([]int, batch*seq)}
		labels := make([]int, batch)
		for b := range batch {
			text, label := plantedText(rng)
			enc, err := tok.Encode(text, tokenize.Options{})
			if err != nil {
				t.Fatal(err)
			}
			copy(in.InputIDs[b*seq:], enc.IDs)
			for j := range enc.IDs {
				in.AttentionMask[b*seq+j] = 1
			}
			labels[b] = label
		}
		out, err := m.Forward(in, &bert.Labels{Class: labels}, bert.Options{Grad: true})
		if err != nil {
			t.Fatal(err)
		}
		out.Loss.Backward()
		out.Loss.FreeGraph()
		if err := opt.Step(1e-3); err != nil {
			t.Fatal(err)
		}
		m.ZeroGrad()
	}
	return m, tok
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// TestPlantedKeyword: on a classifier trained in the test, integrated
// gradients give the planted keyword the top attribution in at least 95%
// of held-out texts, and completeness holds within 2% at 64 steps.
func TestPlantedKeyword(t *testing.T) {
	m, tok := trainPlanted(t)
	rng := rand.New(rand.NewPCG(99, 100))
	const n = 60
	correct, top := 0, 0
	for range n {
		text, label := plantedText(rng)
		e, err := Explain(context.Background(), m, tok, text, Options{Steps: 64})
		if err != nil {
			t.Fatal(err)
		}
		if e.Target == label {
			correct++
		}
		best := e.Words[0]
		for _, w := range e.Words {
			if w.Score > best.Score {
				best = w
			}
		}
		if best.Word == plantedKeywords[e.Target] {
			top++
		}
		checkCompleteness(t, e, 0.02)
	}
	if correct < n*9/10 {
		t.Fatalf("the classifier learned too little: %d of %d correct", correct, n)
	}
	if top*100 < 95*n {
		t.Errorf("the keyword got the top attribution in %d of %d texts, want ≥ 95%%", top, n)
	}
	t.Logf("accuracy %d/%d, keyword on top %d/%d", correct, n, top, n)
}
