package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/medbert/medbert/internal/testmodel"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/task/seqcls"
)

const golden = "../testdata/golden/tiny"

// tinyFolder is the tiny golden model with its vocabulary (testmodel).
func tinyFolder(t testing.TB) string { return testmodel.Dir(t) }

var inputs = []Input{
	{Text: "chest pain"}, {Text: "feels well"}, {Text: "a b c d e f g h i j k l m n o p q r s t u v w x y z"},
	{Text: "fever", TextPair: "patient reports a high fever since Monday"}, {Text: "no complaints at all"},
}

func TestClassifyMatchesForward(t *testing.T) {
	p, err := Load(tinyFolder(t), Options{MaxLength: 16, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if p.Task != TaskClassification || p.MaxLength != 16 || len(p.ID) != 64 {
		t.Fatalf("task %q max %d id %q", p.Task, p.MaxLength, p.ID)
	}
	out, err := p.Classify(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		// Reference: one input alone, through the model directly.
		f, err := seqcls.Encode(p.Tokenizer, in.Text, in.TextPair, 16)
		if err != nil {
			t.Fatal(err)
		}
		o, err := p.Model.Forward(seqcls.Collate([]seqcls.Features{f}, 0), nil, bert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for c, l := range o.Logits.Data {
			if math.Abs(float64(l-out[i].Logits[c])) > 1e-5 {
				t.Errorf("input %d: logit %d %v, alone %v", i, c, out[i].Logits[c], l)
			}
			sum += out[i].Scores[c]
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("input %d: scores sum to %v", i, sum)
		}
		top := out[i].Top(0)
		if top[0].Label != out[i].Label || top[0].Score < top[1].Score || top[1].Score < top[2].Score || len(out[i].Top(1)) != 1 {
			t.Errorf("input %d: top %v, label %s", i, top, out[i].Label)
		}
	}
	if !out[2].Truncated || out[2].Tokens <= 16 || out[0].Truncated || out[0].Tokens != 4 {
		t.Errorf("truncation: %+v / %+v", out[2], out[0])
	}
	if _, err := p.Classify(context.Background(), []Input{{Text: " "}}); err == nil {
		t.Error("empty text accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Classify(ctx, inputs); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// Concurrent Classify calls (run with -race) give what the same calls give
// one after the other.
func TestClassifyConcurrent(t *testing.T) {
	p, err := Load(tinyFolder(t), Options{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]Classification, len(inputs))
	for i := range inputs {
		if want[i], err = p.Classify(context.Background(), inputs[i:]); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(inputs))
	for g := 0; g < 4; g++ {
		for i := range inputs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := p.Classify(context.Background(), inputs[i:])
				if err != nil {
					errs <- err
					return
				}
				for j := range got {
					for c := range got[j].Logits {
						if got[j].Logits[c] != want[i][j].Logits[c] {
							errs <- errors.New("concurrent result differs from the sequential one")
							return
						}
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	src := tinyFolder(t)
	p, err := Load(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := p.Save(dst); err != nil {
		t.Fatal(err)
	}
	q, err := Load(dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if q.ID != p.ID || q.Task != TaskClassification || strings.Join(q.Labels.Names(), ",") != "NEGATIVE,NEUTRAL,POSITIVE" {
		t.Errorf("reloaded: id %s (saved %s) task %s labels %v", q.ID, p.ID, q.Task, q.Labels.Names())
	}
	a, _ := p.Classify(context.Background(), inputs)
	b, _ := q.Classify(context.Background(), inputs)
	for i := range a {
		for c := range a[i].Logits {
			if a[i].Logits[c] != b[i].Logits[c] {
				t.Fatalf("input %d: logits differ after save/load", i)
			}
		}
	}
	// The identity covers config and weights: a changed weight file
	// changes it, the tokenizer does not.
	if err := os.WriteFile(filepath.Join(dst, "vocab.txt"), []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if id, _ := Identity(dst); id != p.ID {
		t.Error("tokenizer change altered the identity")
	}
	if err := os.WriteFile(filepath.Join(dst, "model.safetensors"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if id, _ := Identity(dst); id == p.ID {
		t.Error("weight change kept the identity")
	}
}

func TestTaskKindFromConfig(t *testing.T) {
	dir := tinyFolder(t)
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	b = []byte(strings.Replace(string(b), "{", `{"medbert_task": "ner",`, 1))
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Task != TaskNER {
		t.Fatalf("task %q", p.Task)
	}
	if _, err := p.Classify(context.Background(), inputs); err == nil {
		t.Error("a ner pipeline classified")
	}
}

// A sharded folder's identity covers the index and every shard, in name
// order, whatever order the index lists them in.
func TestIdentityShards(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	index := `{"weight_map": {"a": "model-00002-of-00002.safetensors", "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}`
	write("config.json", "{}")
	write("model.safetensors.index.json", index)
	write("model-00001-of-00002.safetensors", "one")
	write("model-00002-of-00002.safetensors", "two")
	got, err := Identity(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("{}" + index + "one" + "two"))
	if got != hex.EncodeToString(h[:]) {
		t.Errorf("identity %s, want sha256(config + index + shard 1 + shard 2)", got)
	}
	os.Remove(filepath.Join(dir, "model-00002-of-00002.safetensors"))
	if _, err := Identity(dir); err == nil {
		t.Error("a missing shard gave an identity")
	}
}
