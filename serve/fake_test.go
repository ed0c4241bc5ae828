package serve

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"time"
)

// fakeModel is a bag-of-words classifier: the logit of a label is the
// number of words of the text (and pair) that equal the label's keyword;
// scores are the softmax of the logits. Texts longer than maxLen words are
// cut to maxLen words and flagged truncated. Each Classify call sleeps
// delay, like a forward pass, so concurrent requests pile up into batches.
type fakeModel struct {
	name     string
	labels   []string
	keywords []string
	maxLen   int
	delay    time.Duration

	mu      sync.Mutex
	batches []int // sizes of the batches seen, in order
	// gate, once armed, blocks every Classify call until it is closed (or
	// ctx ends); entered receives one value per call before it blocks.
	gate    chan struct{}
	entered chan struct{}
}

// arm makes the following Classify calls wait at a gate; the caller closes
// the returned gate to let them through.
func (f *fakeModel) arm() (gate, entered chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate, f.entered = make(chan struct{}), make(chan struct{}, 64)
	return f.gate, f.entered
}

func newFake(name string) *fakeModel {
	return &fakeModel{
		name:     name,
		labels:   []string{"asthma", "diabetes", "hypertension", "pneumonia"},
		keywords: []string{"wheeze", "glucose", "pressure", "cough"},
		maxLen:   32,
	}
}

func (f *fakeModel) Info() ModelInfo {
	return ModelInfo{Name: f.name, Task: "sequence-classification", Labels: f.labels,
		SHA256: strings.Repeat("ab", 32), MaxLength: f.maxLen}
}

func (f *fakeModel) Classify(ctx context.Context, inputs []Input) ([]Result, error) {
	f.mu.Lock()
	f.batches = append(f.batches, len(inputs))
	gate, entered := f.gate, f.entered
	f.mu.Unlock()
	if gate != nil {
		entered <- struct{}{}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	out := make([]Result, len(inputs))
	for i, in := range inputs {
		if in.Text == "PANIC" {
			panic(errors.New("fake model panics on request"))
		}
		out[i] = f.score(in)
	}
	return out, nil
}

// score classifies one input on its own: the reference the server's
// answers are compared with.
func (f *fakeModel) score(in Input) Result {
	words := append(strings.Fields(in.Text), strings.Fields(in.TextPair)...)
	r := Result{Tokens: len(words)}
	if len(words) > f.maxLen {
		words, r.Truncated, r.Tokens = words[:f.maxLen], true, f.maxLen
	}
	logits := make([]float64, len(f.labels))
	for _, w := range words {
		for c, k := range f.keywords {
			if w == k {
				logits[c]++
			}
		}
	}
	var sum float64
	r.Scores = make([]float64, len(logits))
	for c, l := range logits {
		r.Scores[c] = math.Exp(l)
		sum += r.Scores[c]
	}
	for c := range r.Scores {
		r.Scores[c] /= sum
	}
	return r
}

func (f *fakeModel) batchSizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.batches...)
}

// memAuditor keeps decisions in memory.
type memAuditor struct {
	mu        sync.Mutex
	decisions []Decision
	fail      bool
	closed    int
}

func (a *memAuditor) Record(_ context.Context, d Decision) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail {
		return errors.New("disk full")
	}
	a.decisions = append(a.decisions, d)
	return nil
}

func (a *memAuditor) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed++
	return nil
}

func (a *memAuditor) snapshot() ([]Decision, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Decision(nil), a.decisions...), a.closed
}
