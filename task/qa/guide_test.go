package qa

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
	"github.com/medbert/medbert/train"
)

const (
	guideContext  = "The patient presented with a persistent cough, high fever, and shortness of breath. Chest X-ray revealed signs of pneumonia."
	guideQuestion = "What condition does the patient likely have?"
)

// syntheticClinicalQA makes n question/context pairs whose answer is the
// diagnosis a finding names, in a few sentence shapes.
func syntheticClinicalQA(n int, seed uint64) []Example {
	r := rand.New(rand.NewPCG(seed, 7))
	dx := []string{"pneumonia", "bronchitis", "tuberculosis", "influenza", "sinusitis", "asthma", "appendicitis", "meningitis", "pleurisy", "sepsis"}
	sym := []string{"a persistent cough", "high fever", "shortness of breath", "chest pain", "headache", "fatigue", "night sweats", "abdominal pain", "a stiff neck", "wheezing"}
	test := []string{"Chest X-ray", "A CT scan", "Blood culture", "Lumbar puncture", "An ultrasound"}
	qs := []string{guideQuestion, "What is the likely diagnosis?", "Which disease does the patient have?"}
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	var out []Example
	for i := 0; i < n; i++ {
		d := pick(dx)
		var c string
		switch r.IntN(3) {
		case 0:
			c = fmt.Sprintf("The patient presented with %s, %s, and %s. %s revealed signs of %s.", pick(sym), pick(sym), pick(sym), pick(test), d)
		case 1:
			c = fmt.Sprintf("%s showed %s in a patient with %s and %s.", pick(test), d, pick(sym), pick(sym))
		default:
			c = fmt.Sprintf("A patient reported %s. After %s, %s confirmed %s.", pick(sym), pick(sym), pick(test), d)
		}
		out = append(out, Example{ID: fmt.Sprint(i), Question: pick(qs), Context: c,
			Answers: []Answer{{Text: d, Start: len([]rune(c[:strings.LastIndex(c, d)]))}}})
	}
	return out
}

// vocabFor is an uncased vocabulary holding every word and punctuation
// mark of the texts whole.
func vocabFor(t *testing.T, texts ...string) *tokenize.Tokenizer {
	seen := map[string]bool{}
	for _, s := range texts {
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			seen[w] = true
		}
		for _, r := range s {
			if unicode.IsPunct(r) {
				seen[string(r)] = true
			}
		}
	}
	words := make([]string, 0, len(seen))
	for w := range seen {
		words = append(words, w)
	}
	sort.Strings(words)
	return wordTokenizer(t, words...)
}

// TestGuideExample trains a 2-layer model from scratch through the Trainer
// on synthetic clinical QA pairs, saves it, loads the folder back as
// `medbert predict --task qa --model DIR` would, and asks the guide's
// question about the guide's context.
func TestGuideExample(t *testing.T) {
	exs := syntheticClinicalQA(160, 1)
	var texts []string
	for _, e := range exs {
		texts = append(texts, e.Question, e.Context)
	}
	tok := vocabFor(t, append(texts, guideContext, guideQuestion)...)
	cfg := bert.DefaultConfig()
	cfg.VocabSize, cfg.HiddenSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads = tok.Vocab().Len(), 32, 2, 2
	cfg.IntermediateSize, cfg.MaxPositionEmbeddings, cfg.HiddenDropoutProb, cfg.AttentionProbsDropoutProb = 64, 64, 0, 0
	m, err := bert.New(cfg, bert.HeadQA, 3)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{MaxLength: 64, Stride: 16}
	task, err := NewTask(m, tok, exs[:140], exs[140:], opt)
	if err != nil {
		t.Fatal(err)
	}
	a := train.Defaults()
	a.OutputDir, a.MaxSteps, a.PerDeviceTrainBatchSize, a.LearningRate = t.TempDir(), 250, 16, 3e-3
	a.WarmupRatio, a.LoggingStrategy, a.SaveStrategy, a.EvalStrategy, a.DisableProgressBar = 0.1, "no", "no", "no", true
	res, err := (&train.Trainer{Args: &a, Task: task}).Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ev, ok, err := task.Evaluate(context.Background())
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	t.Logf("train loss %.3f, held-out exact match %.2f f1 %.2f", res.TrainLoss, ev["exact_match"], ev["f1"])

	loaded, _, err := bert.Load(a.OutputDir, bert.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ltok, err := tokenize.LoadDir(a.OutputDir)
	if err != nil {
		t.Fatal(err)
	}
	p := &Predictor{Model: loaded, Tokenizer: ltok, Options: opt}
	ans, err := p.Answer(context.Background(), guideQuestion, guideContext)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("answer %+v", ans)
	rs := []rune(guideContext)
	if ans.Impossible || ans.End <= ans.Start || ans.End > len(rs) || string(rs[ans.Start:ans.End]) != ans.Text {
		t.Fatalf("answer %+v is not a span of the context", ans)
	}
	if ans.Text != "pneumonia" || ans.Start != 114 || ans.End != 123 {
		t.Errorf("answer %+v, want pneumonia at [114,123)", ans)
	}
	if ev["exact_match"] < 0.9 {
		t.Errorf("held-out exact match %.2f < 0.9", ev["exact_match"])
	}
}
