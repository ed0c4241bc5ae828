package pretrain

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"github.com/medbert/medbert/internal/testmodel"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if strings.HasSuffix(name, ".gz") {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		zw := gzip.NewWriter(f)
		zw.Write([]byte(content))
		zw.Close()
		f.Close()
		return p
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func docs(t *testing.T, path string, opt CorpusOptions) []string {
	t.Helper()
	var out []string
	if err := Documents(path, opt, func(d string) error { out = append(out, d); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDocuments(t *testing.T) {
	text := "first doc\n\n  second doc  \nstill second\n\n\nthird\n"
	if got := docs(t, writeFile(t, "a.txt", text), CorpusOptions{}); !slices.Equal(got, []string{"first doc", "second doc", "still second", "third"}) {
		t.Errorf("line documents: %q", got)
	}
	if got := docs(t, writeFile(t, "a.txt.gz", text), CorpusOptions{BlankLineDocuments: true}); !slices.Equal(got, []string{"first doc", "second doc still second", "third"}) {
		t.Errorf("paragraph documents (gzip): %q", got)
	}
	jl := `{"note": "one", "id": 1}` + "\n\n" + `{"note": "two"}` + "\n"
	if got := docs(t, writeFile(t, "a.jsonl", jl), CorpusOptions{TextField: "note"}); !slices.Equal(got, []string{"one", "two"}) {
		t.Errorf("field note: %q", got)
	}
	if got := docs(t, writeFile(t, "b.jsonl.gz", `{"text": "one"}`+"\n"+`{"text": " two "}`), CorpusOptions{}); !slices.Equal(got, []string{"one", "two"}) {
		t.Errorf("jsonl.gz: %q", got)
	}
}

func TestDocumentsErrorsNameTheLineNotTheText(t *testing.T) {
	const secret = "Patient SSN 123-45-6789"
	for name, content := range map[string]string{
		"x.jsonl":  `{"text": "ok"}` + "\n" + secret + "\n",
		"y.jsonl":  `{"text": "ok"}` + "\n" + `{"other": "` + secret + `"}` + "\n",
		"z.jsonl":  `{"text": "ok"}` + "\n" + `{"text": ["` + secret + `"]}` + "\n",
		"bad.txt":  "ok\n" + secret + "\xff\n",
		"bad.gz":   "not gzip",
		"trunc.gz": "",
	} {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		err := Documents(p, CorpusOptions{}, func(string) error { return nil })
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), "SSN") {
			t.Errorf("%s: error quotes the text: %v", name, err)
		}
		if !strings.HasSuffix(name, ".gz") && !strings.Contains(err.Error(), ":2:") {
			t.Errorf("%s: error does not name line 2: %v", name, err)
		}
	}
}

// smallTokenizer is a whole-word vocabulary for hand-checkable packing.
func smallTokenizer(t testing.TB, words ...string) *tokenize.Tokenizer {
	t.Helper()
	v, err := tokenize.NewVocab("v", append([]string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}, words...))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.New(v, tokenize.DefaultSettings(true))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestPackGroupTexts: [CLS] doc [SEP] for each document, concatenated and
// cut into full sequences; the partial tail is dropped.
func TestPackGroupTexts(t *testing.T) {
	tok := smallTokenizer(t, "a", "b", "c", "##x")
	in := writeFile(t, "c.txt", "a b c\nb\na ax c a b c a\n")
	out := filepath.Join(t.TempDir(), "train.pack")
	st, err := Pack(context.Background(), []string{in}, tok, PackOptions{SeqLen: 8, BlockDocs: 2}, out)
	if err != nil {
		t.Fatal(err)
	}
	// ids: CLS=2 SEP=3 a=5 b=6 c=7 ##x=8
	stream := []int{2, 5, 6, 7, 3, 2, 6, 3, 2, 5, 5, 8, 7, 5, 6, 7, 5, 3}
	if st.Documents != 3 || st.Tokens != int64(len(stream)) || st.Sequences != 2 || st.Dropped != 2 {
		t.Fatalf("stats %+v, want 3 docs, %d tokens, 2 sequences, 2 dropped", st, len(stream))
	}
	p, err := OpenPacked(out)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := range 2 {
		got, err := p.Seq(i, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, stream[i*8:(i+1)*8]) {
			t.Errorf("sequence %d = %v, want %v", i, got, stream[i*8:(i+1)*8])
		}
	}
	if _, err := p.Seq(2, nil); err == nil {
		t.Error("sequence past the end: no error")
	}
	if _, err := Pack(context.Background(), []string{in}, tok, PackOptions{SeqLen: 64}, out+"2"); err == nil || !strings.Contains(err.Error(), "fewer than one sequence") {
		t.Errorf("too short a corpus: %v", err)
	}
	if _, err := OpenPacked(in); err == nil {
		t.Error("a text file opened as packed")
	}
}

// TestMaskerRates: token-level masking selects about Prob of the
// non-special positions and splits them 80/10/10; specials are never
// touched.
func TestMaskerRates(t *testing.T) {
	words := make([]string, 100)
	for i := range words {
		words[i] = fmt.Sprintf("w%d", i)
	}
	tok := smallTokenizer(t, words...)
	m := NewMasker(tok, 0.15, false)
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]int, 128)
	var selected, masked, kept, total int
	for range 400 {
		ids[0], ids[len(ids)-1] = tok.ClsID(), tok.SepID()
		for i := 1; i < len(ids)-1; i++ {
			ids[i] = 5 + rng.IntN(100)
		}
		in, lb := m.Mask(ids, rng)
		if lb[0] != bert.IgnoreIndex || in[0] != tok.ClsID() || lb[len(ids)-1] != bert.IgnoreIndex {
			t.Fatal("a special token was selected")
		}
		for i := 1; i < len(ids)-1; i++ {
			total++
			if lb[i] == bert.IgnoreIndex {
				if in[i] != ids[i] {
					t.Fatal("an unselected position changed")
				}
				continue
			}
			if lb[i] != ids[i] {
				t.Fatal("label is not the original id")
			}
			selected++
			switch in[i] {
			case tok.MaskID():
				masked++
			case ids[i]:
				kept++
			}
		}
	}
	rate := float64(selected) / float64(total)
	// 50,400 positions: the binomial's σ is 0.0016 on the rate.
	if math.Abs(rate-0.15) > 0.008 {
		t.Errorf("selected %.4f of positions, want 0.15", rate)
	}
	if f := float64(masked) / float64(selected); math.Abs(f-0.8) > 0.02 {
		t.Errorf("[MASK] on %.3f of selected, want 0.8", f)
	}
	// Unchanged: 10%, plus the 1% of random draws that hit the original.
	if f := float64(kept) / float64(selected); math.Abs(f-0.1005) > 0.015 {
		t.Errorf("unchanged %.3f of selected, want 0.10", f)
	}
}

// TestWholeWordMask: a word's pieces are selected together, within the
// budget of round(n·Prob) pieces.
func TestWholeWordMask(t *testing.T) {
	tok := smallTokenizer(t, "pneum", "##on", "##ia", "cough", "fever", "x", "##y")
	m := NewMasker(tok, 0.5, true)
	ids := []int{2, 5, 6, 7, 8, 9, 10, 11, 8, 3} // [CLS] pneum ##on ##ia cough fever x ##y cough [SEP]
	for seed := range uint64(200) {
		_, lb := m.Mask(ids, rand.New(rand.NewPCG(seed, 1)))
		sel := func(i int) bool { return lb[i] != bert.IgnoreIndex }
		if sel(1) != sel(2) || sel(2) != sel(3) || sel(6) != sel(7) {
			t.Fatalf("seed %d: a word was split: %v", seed, lb)
		}
		n := 0
		for i := range ids {
			if sel(i) {
				n++
			}
		}
		if n == 0 || n > 4 || sel(0) || sel(9) {
			t.Fatalf("seed %d: %d pieces selected (budget 4 of 8) or a special: %v", seed, n, lb)
		}
	}
}

// tinyMLM is the golden tiny model with its mlm head, and its tokenizer.
func tinyMLM(t testing.TB) (*bert.Model, *tokenize.Tokenizer) {
	return testmodel.Load(t, bert.HeadMLM)
}

// TestEvaluateAgainstHeadLoss: the validation loss and accuracy equal a
// reference computed on the same fixed masks from the model's own
// cross-entropy loss, from the log-softmax written out by hand, and an
// argmax over its logits.
func TestEvaluateAgainstHeadLoss(t *testing.T) {
	m, tok := tinyMLM(t)
	in := writeFile(t, "v.txt", strings.Repeat("a b c d e f g ! ? , . ; : h i j k l m n o p\n", 12))
	out := filepath.Join(t.TempDir(), "val.pack")
	if _, err := Pack(context.Background(), []string{in}, tok, PackOptions{SeqLen: 16}, out); err != nil {
		t.Fatal(err)
	}
	p, err := OpenPacked(out)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	task := &Task{Model: m, Tok: tok, Masker: NewMasker(tok, 0.15, false), EvalBatchSize: 3}
	got, err := task.EvaluatePacked(context.Background(), p, 7)
	if err != nil {
		t.Fatal(err)
	}
	// The reference: the same generator, masks drawn sequence by sequence,
	// the head's mean cross-entropy per batch weighted by its masked count.
	rng := rand.New(rand.NewPCG(7, 0x6d6c6d))
	var sum, byHand float64
	var n, correct int
	for i0 := 0; i0 < p.Len(); i0 += 3 {
		var idx []int
		for i := i0; i < min(i0+3, p.Len()); i++ {
			idx = append(idx, i)
		}
		bin, lb, err := task.batch(p, idx, rng)
		if err != nil {
			t.Fatal(err)
		}
		o, err := m.Forward(bin, lb, bert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		v := m.Config.VocabSize
		for pos, l := range lb.Class {
			if l == bert.IgnoreIndex {
				continue
			}
			k++
			row := o.Logits.Data[pos*v : (pos+1)*v]
			if slices.Index(row, slices.Max(row)) == l {
				correct++
			}
			// −log softmax(row)[l], written out in float64.
			var z float64
			mx := float64(slices.Max(row))
			for _, x := range row {
				z += math.Exp(float64(x) - mx)
			}
			byHand += mx + math.Log(z) - float64(row[l])
		}
		if k > 0 {
			sum += float64(o.Loss.Item()) * float64(k)
			n += k
		}
	}
	if n != got.Masked || n == 0 {
		t.Fatalf("masked %d, reference %d", got.Masked, n)
	}
	if want := sum / float64(n); math.Abs(got.Loss-want) > 1e-5*want {
		t.Errorf("loss %.7g, head's cross-entropy %.7g", got.Loss, want)
	}
	if want := byHand / float64(n); math.Abs(got.Loss-want) > 1e-9*want {
		t.Errorf("loss %.10g, by hand %.10g", got.Loss, want)
	}
	if want := float64(correct) / float64(n); got.Accuracy != want {
		t.Errorf("accuracy %g, want %g", got.Accuracy, want)
	}
	if math.Abs(got.Perplexity-math.Exp(got.Loss)) > 1e-9 {
		t.Error("perplexity is not exp(loss)")
	}
	again, _ := task.EvaluatePacked(context.Background(), p, 7)
	if again.Loss != got.Loss {
		t.Error("evaluation with the same seed differs")
	}
}

// TestPackBoundedMemory streams a generated corpus far larger than the
// memory Pack may use: the heap stays bounded while about 40 MB of text
// is packed.
func TestPackBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 40 MB corpus")
	}
	tok := smallTokenizer(t, "alpha", "beta", "gamma", "delta")
	path := filepath.Join(t.TempDir(), "big.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	line := strings.Repeat("alpha beta gamma delta ", 20) + "\n"
	for written := 0; written < 40<<20; written += 1000 * len(line) {
		for range 1000 {
			w.WriteString(line)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, uint64(0)
	st, err := Pack(context.Background(), []string{path}, tok, PackOptions{SeqLen: 128, BlockDocs: 512,
		Progress: func(int64, int64) {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}}, filepath.Join(t.TempDir(), "big.pack"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Tokens < 7_000_000 {
		t.Fatalf("packed only %d tokens", st.Tokens)
	}
	if grow := int64(peak) - int64(base); grow > 64<<20 {
		t.Errorf("heap grew by %d MB while packing a 40 MB corpus", grow>>20)
	}
	t.Logf("%d documents, %d sequences; heap growth %d MB", st.Documents, st.Sequences, (int64(peak)-int64(base))>>20)
}
