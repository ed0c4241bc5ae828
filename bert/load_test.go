package bert

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/torchfile"
)

// folder makes a model folder in a temp dir holding the tiny config and the
// given files copied from the golden folder (src name -> dst name).
func folder(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	copyTo(t, filepath.Join(tinyDir, FileConfig), filepath.Join(dir, FileConfig))
	for src, dst := range files {
		copyTo(t, filepath.Join(tinyDir, src), filepath.Join(dir, dst))
	}
	return dir
}

func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sameParams(t *testing.T, a, b *Model) {
	t.Helper()
	pa, pb := a.Params(), b.Params()
	if len(pa) != len(pb) {
		t.Fatalf("%d vs %d params", len(pa), len(pb))
	}
	for i := range pa {
		if pa[i].Name != pb[i].Name || !slices.Equal(pa[i].T.Shape, pb[i].T.Shape) {
			t.Fatalf("param %d: %s%v vs %s%v", i, pa[i].Name, pa[i].T.Shape, pb[i].Name, pb[i].T.Shape)
		}
		for j := range pa[i].T.Data {
			if math.Float32bits(pa[i].T.Data[j]) != math.Float32bits(pb[i].T.Data[j]) {
				t.Fatalf("%s[%d]: %g vs %g (not bit-identical)", pa[i].Name, j, pa[i].T.Data[j], pb[i].T.Data[j])
			}
		}
	}
}

func TestLoadTorchCheckpoints(t *testing.T) {
	in, _ := tinyInput(t)
	exp := openGolden(t, "expected.safetensors")
	for _, bin := range []string{"pytorch_model.bin", "pytorch_model_legacy.bin"} {
		for _, head := range []string{HeadSeqCls, HeadTokenCls, HeadQA, HeadMLM} {
			t.Run(bin+"/"+head, func(t *testing.T) {
				dir := folder(t, map[string]string{bin: FileTorch})
				m, rep, err := Load(dir, LoadOptions{Head: head})
				if err != nil {
					t.Fatal(err)
				}
				sameParams(t, m, loadTiny(t, head))
				if len(rep.Missing) != 0 {
					t.Fatalf("missing %v", rep.Missing)
				}
				legacy := strings.Contains(bin, "legacy")
				if legacy != slices.Contains(rep.Unused, keyPositionIDs) {
					t.Errorf("position_ids buffer reporting wrong: %v", rep.Unused)
				}
				if legacy != (rep.Renamed > 0) {
					t.Errorf("renamed %d keys", rep.Renamed)
				}
				if head == HeadMLM && len(rep.Tied) != 2 {
					t.Errorf("tied aliases %v, want decoder weight and bias", rep.Tied)
				}
				if head == HeadSeqCls && (!slices.Contains(rep.Unused, keyDecoderWeight) || !slices.Contains(rep.Unused, "qa_outputs.weight")) {
					t.Errorf("unused keys %v lack the MLM/QA head", rep.Unused)
				}
				out, err := m.Forward(in, nil, Options{})
				if err != nil {
					t.Fatal(err)
				}
				switch head {
				case HeadSeqCls:
					expectClose(t, exp, "seqcls_logits", out.Logits, tolForward)
				case HeadTokenCls:
					expectClose(t, exp, "tokencls_logits", out.Logits, tolForward)
				case HeadQA:
					expectClose(t, exp, "qa_start_logits", out.StartLogits, tolForward)
					expectClose(t, exp, "qa_end_logits", out.EndLogits, tolForward)
				default:
					expectClose(t, exp, "mlm_logits", out.Logits, tolForward)
				}
			})
		}
	}
}

func TestLoadReportAndHeads(t *testing.T) {
	m, rep, err := Load(tinyDir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Head != HeadSeqCls {
		t.Fatalf("default head %q, want seqcls from architectures", m.Head)
	}
	want := []string{"cls.predictions.bias", "cls.predictions.transform.LayerNorm.bias", "cls.predictions.transform.LayerNorm.weight",
		"cls.predictions.transform.dense.bias", "cls.predictions.transform.dense.weight", "qa_outputs.bias", "qa_outputs.weight"}
	if !slices.Equal(rep.Unused, want) {
		t.Fatalf("unused %v\nwant %v", rep.Unused, want)
	}
	if w := rep.Warnings(ClassName(m.Head)); len(w) != 1 || !strings.Contains(w[0], "not used when initializing BertForSequenceClassification") {
		t.Fatalf("warnings %q", w)
	}
	// Counts match the README's key table per head.
	for head, n := range map[string]int{HeadBase: 39, HeadSeqCls: 41, HeadTokenCls: 39, HeadQA: 39, HeadMLM: 42} {
		m, _, err := Load(tinyDir, LoadOptions{Head: head})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(m.Params()); got != n {
			t.Errorf("%s: %d params, want %d", head, got, n)
		}
		if m.MLM != nil && m.MLM.Decoder != m.Bert.Embeddings.WordEmbeddings.Weight {
			t.Error("MLM decoder is not tied to the word embeddings")
		}
	}
}

// writeBase saves the tiny trunk as a bare BertModel checkpoint (no "bert."
// prefix), as BertModel.save_pretrained does, and returns its folder.
func writeBase(t *testing.T) string {
	m := loadTiny(t, HeadBase)
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadMissingHeadInitialised(t *testing.T) {
	dir := writeBase(t)
	f, err := safetensors.Open(filepath.Join(dir, FileSafetensors))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range f.Names() {
		if strings.HasPrefix(n, "bert.") {
			t.Fatalf("base checkpoint key %q has the bert. prefix", n)
		}
	}
	f.Close()
	m, rep, err := Load(dir, LoadOptions{Head: HeadTokenCls, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Missing, []string{"classifier.weight", "classifier.bias"}) || !slices.Equal(rep.Initialized, rep.Missing) {
		t.Fatalf("missing %v initialised %v", rep.Missing, rep.Initialized)
	}
	if !slices.Equal(rep.Unused, []string{"pooler.dense.bias", "pooler.dense.weight"}) {
		t.Fatalf("unused %v", rep.Unused)
	}
	if w := rep.Warnings("BertForTokenClassification"); len(w) != 2 || !strings.Contains(w[1], "newly initialized: classifier.weight, classifier.bias") {
		t.Fatalf("warnings %q", w)
	}
	w := m.TokenCls.Classifier.Weight.Data
	var sum, sq float64
	for _, v := range w {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	std := math.Sqrt(sq/float64(len(w)) - (sum/float64(len(w)))*(sum/float64(len(w))))
	if std < 0.015 || std > 0.025 {
		t.Errorf("classifier weight std %.4f, want about 0.02", std)
	}
	if maxAbs(m.TokenCls.Classifier.Bias.Data) != 0 {
		t.Error("classifier bias not zero")
	}
	// Same seed, same weights; other seed, other weights.
	m2, _, _ := Load(dir, LoadOptions{Head: HeadTokenCls, Seed: 7})
	m3, _, _ := Load(dir, LoadOptions{Head: HeadTokenCls, Seed: 8})
	if !slices.Equal(w, m2.TokenCls.Classifier.Weight.Data) || slices.Equal(w, m3.TokenCls.Classifier.Weight.Data) {
		t.Error("head init is not a function of the seed")
	}
	// The trunk came through the prefix fix unchanged.
	sameParams(t, &Model{Bert: m.Bert}, &Model{Bert: loadTiny(t, HeadTokenCls).Bert})
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, head := range []string{HeadBase, HeadSeqCls, HeadTokenCls, HeadQA, HeadMLM} {
		t.Run(head, func(t *testing.T) {
			src := folder(t, map[string]string{"model.safetensors": FileSafetensors})
			copyTo(t, "../testdata/vocab/bert-base-cased-vocab.txt", filepath.Join(src, "vocab.txt"))
			m, _, err := Load(src, LoadOptions{Head: head})
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "out")
			if err := m.Save(dir); err != nil {
				t.Fatal(err)
			}
			m2, rep, err := Load(dir, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if m2.Head != head {
				t.Fatalf("reloaded head %q", m2.Head)
			}
			if len(rep.Missing)+len(rep.Unused) != 0 {
				t.Fatalf("round trip report: missing %v unused %v", rep.Missing, rep.Unused)
			}
			sameParams(t, m, m2)
			// Tokenizer files have one writer, tokenize.(*Tokenizer).SaveDir
			// (pipeline.Save calls both; its round-trip test checks the
			// folder is self-contained): Save writes only the model's files.
			if _, err := os.Stat(filepath.Join(dir, "vocab.txt")); err == nil {
				t.Fatal("Save wrote vocab.txt")
			}
			f, err := safetensors.Open(filepath.Join(dir, FileSafetensors))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			names := f.Names()
			if slices.Contains(names, keyDecoderWeight) || slices.Contains(names, keyDecoderBias) {
				t.Error("tied decoder aliases were saved")
			}
			if head == HeadMLM && !slices.Contains(names, keyMLMBias) {
				t.Error("cls.predictions.bias not saved")
			}
			var cfg map[string]any
			b, _ := os.ReadFile(filepath.Join(dir, FileConfig))
			if err := json.Unmarshal(b, &cfg); err != nil {
				t.Fatal(err)
			}
			if a := cfg["architectures"].([]any); len(a) != 1 || a[0] != ClassName(head) {
				t.Errorf("architectures %v", a)
			}
			if head == HeadQA && cfg["num_labels"].(float64) != 2 {
				t.Errorf("QA config num_labels %v, HF needs 2 to build qa_outputs", cfg["num_labels"])
			}
		})
	}
}

func TestSavedFileMatchesGoldenKeys(t *testing.T) {
	// The golden model.safetensors is what HF save_pretrained writes for a
	// model holding all heads; our seqcls + qa + mlm saves together must use
	// exactly its key names (bert. prefix, no decoder aliases).
	f, err := safetensors.Open(filepath.Join(tinyDir, FileSafetensors))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	golden := f.Names()
	var ours []string
	for _, head := range []string{HeadSeqCls, HeadQA, HeadMLM} {
		for _, p := range loadTiny(t, head).Params() {
			if k := SaveKey(head, p.Name); !slices.Contains(ours, k) {
				ours = append(ours, k)
			}
		}
	}
	slices.Sort(ours)
	if !slices.Equal(ours, golden) {
		t.Fatalf("saved keys differ from HF's:\n%v\n%v", ours, golden)
	}
}

func TestShardedCheckpoints(t *testing.T) {
	ref := loadTiny(t, HeadMLM)
	// Split the safetensors weights into two shards.
	src, err := safetensors.Open(filepath.Join(tinyDir, FileSafetensors))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dir := folder(t, nil)
	wm := map[string]string{}
	var shards [2][]safetensors.Tensor
	for i, n := range src.Names() {
		d, s, err := src.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		file := "model-0000" + itoa(i%2+1) + "-of-00002.safetensors"
		wm[n] = file
		shards[i%2] = append(shards[i%2], safetensors.F32(n, s, d))
	}
	for i, ts := range shards {
		if err := safetensors.Write(filepath.Join(dir, "model-0000"+itoa(i+1)+"-of-00002.safetensors"), ts, nil); err != nil {
			t.Fatal(err)
		}
	}
	idx, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 1}, "weight_map": wm})
	if err := os.WriteFile(filepath.Join(dir, FileSafetensorsIndex), idx, 0o644); err != nil {
		t.Fatal(err)
	}
	m, rep, err := Load(dir, LoadOptions{Head: HeadMLM})
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, m, ref)
	if !strings.HasSuffix(rep.Source, FileSafetensorsIndex) {
		t.Errorf("source %q", rep.Source)
	}

	// A pytorch index pointing at one .bin shard.
	dir2 := folder(t, map[string]string{"pytorch_model.bin": "pytorch_model-00001-of-00001.bin"})
	tf, err := torchfile.Open(filepath.Join(dir2, "pytorch_model-00001-of-00001.bin"))
	if err != nil {
		t.Fatal(err)
	}
	wm2 := map[string]string{}
	for _, n := range tf.Names() {
		wm2[n] = "pytorch_model-00001-of-00001.bin"
	}
	tf.Close()
	idx2, _ := json.Marshal(map[string]any{"weight_map": wm2})
	os.WriteFile(filepath.Join(dir2, FileTorchIndex), idx2, 0o644)
	m2, _, err := Load(dir2, LoadOptions{Head: HeadMLM})
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, m2, ref)

	// Index errors: escaping shard names, shards missing keys, bad JSON.
	bad := []struct {
		index string
		want  string
	}{
		{`{"weight_map": {"a": "../model.safetensors"}}`, "is not a file name in the index's folder"},
		{`{"weight_map": {"nope": "model-00001-of-00002.safetensors"}}`, "the shard does not hold it"},
		{`{"weight_map": {}}`, `"weight_map"`},
		{`{"weight_map": `, "invalid index JSON"},
		{`{"weight_map": {"a": "missing.safetensors"}}`, "missing.safetensors"},
	}
	for _, b := range bad {
		os.WriteFile(filepath.Join(dir, FileSafetensorsIndex), []byte(b.index), 0o644)
		_, _, err := Load(dir, LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), b.want) || !strings.Contains(err.Error(), FileSafetensorsIndex) {
			t.Errorf("index %s: error %v, want mention of %q and the index file", b.index, err, b.want)
		}
	}
}

func TestLoadFolderErrors(t *testing.T) {
	empty := folder(t, nil)
	tfOnly := folder(t, nil)
	os.WriteFile(filepath.Join(tfOnly, "tf_model.h5"), []byte("x"), 0o644)
	flaxOnly := folder(t, nil)
	os.WriteFile(filepath.Join(flaxOnly, "flax_model.msgpack"), []byte("x"), 0o644)
	noConfig := t.TempDir()
	copyTo(t, filepath.Join(tinyDir, FileSafetensors), filepath.Join(noConfig, FileSafetensors))
	corrupt := folder(t, nil)
	b, _ := os.ReadFile(filepath.Join(tinyDir, FileSafetensors))
	os.WriteFile(filepath.Join(corrupt, FileSafetensors), b[:len(b)/2], 0o644)
	corruptBin := folder(t, nil)
	b, _ = os.ReadFile(filepath.Join(tinyDir, FileTorch))
	os.WriteFile(filepath.Join(corruptBin, FileTorch), b[:len(b)/3], 0o644)
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, []byte("x"), 0o644)

	cases := []struct {
		name, dir string
		want      []string
	}{
		{"missing", filepath.Join(t.TempDir(), "nope"), []string{"model folder", "does not exist"}},
		{"not a dir", notDir, []string{"not a directory"}},
		{"no weights", empty, []string{"has no weights", FileSafetensors, FileTorch}},
		{"tf only", tfOnly, []string{"tf_model.h5", "TensorFlow/Flax weights are not supported"}},
		{"flax only", flaxOnly, []string{"flax_model.msgpack", "not supported"}},
		{"no config", noConfig, []string{"config.json", "does not exist"}},
		{"truncated safetensors", corrupt, []string{FileSafetensors}},
		{"truncated bin", corruptBin, []string{FileTorch}},
	}
	for _, c := range cases {
		_, _, err := Load(c.dir, LoadOptions{})
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
	}
	if _, _, err := Load(tinyDir, LoadOptions{Head: "ner"}); err == nil || !strings.Contains(err.Error(), `"ner"`) {
		t.Errorf("unknown head: %v", err)
	}
}

func TestLoadWrongShape(t *testing.T) {
	// A checkpoint whose classifier has 4 labels while the config says 3,
	// and one whose hidden size disagrees with the config.
	for _, tc := range []struct {
		key   string
		shape []int
	}{
		{"classifier.weight", []int{4, 64}},
		{"bert.embeddings.word_embeddings.weight", []int{512, 32}},
	} {
		src, err := safetensors.Open(filepath.Join(tinyDir, FileSafetensors))
		if err != nil {
			t.Fatal(err)
		}
		var ts []safetensors.Tensor
		for _, n := range src.Names() {
			d, s, _ := src.Float32(n)
			if n == tc.key {
				s = tc.shape
				d = make([]float32, tc.shape[0]*tc.shape[1])
			}
			ts = append(ts, safetensors.F32(n, s, d))
		}
		src.Close()
		dir := folder(t, nil)
		if err := safetensors.Write(filepath.Join(dir, FileSafetensors), ts, nil); err != nil {
			t.Fatal(err)
		}
		_, _, err = Load(dir, LoadOptions{Head: HeadSeqCls})
		var se *ShapeError
		if !errors.As(err, &se) {
			t.Fatalf("%s: want a ShapeError, got %v", tc.key, err)
		}
		if se.Key != tc.key || !slices.Equal(se.Got, tc.shape) || !strings.HasSuffix(se.File, FileSafetensors) {
			t.Errorf("shape error %+v", se)
		}
		if !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), "config needs") {
			t.Errorf("message %q", err)
		}
	}
	// A file with no BERT key at all is rejected rather than silently
	// turned into a random model.
	dir := folder(t, nil)
	safetensors.Write(filepath.Join(dir, FileSafetensors), []safetensors.Tensor{safetensors.F32("foo", []int{1}, []float32{1})}, nil)
	if _, _, err := Load(dir, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "no BERT weights") {
		t.Errorf("foreign checkpoint: %v", err)
	}
}

func TestForwardInputErrors(t *testing.T) {
	m := loadTiny(t, HeadSeqCls)
	ok := func() *Input {
		return &Input{Batch: 1, Seq: 3, InputIDs: []int{101, 5, 102}}
	}
	cases := []struct {
		name string
		edit func(*Input)
		lb   *Labels
		want string
	}{
		{"id out of vocab", func(in *Input) { in.InputIDs[1] = 512 }, nil, "outside the vocabulary [0, 512)"},
		{"negative id", func(in *Input) { in.InputIDs[1] = -1 }, nil, "outside the vocabulary"},
		{"too long", func(in *Input) { in.Seq = 65; in.InputIDs = make([]int, 65) }, nil, "exceeds max_position_embeddings 64"},
		{"len mismatch", func(in *Input) { in.Batch = 2 }, nil, "want batch 2"},
		{"bad type id", func(in *Input) { in.TokenTypeIDs = []int{0, 2, 0} }, nil, "token_type_ids"},
		{"bad mask", func(in *Input) { in.AttentionMask = []int{1, 3, 1} }, nil, "not 0 or 1"},
		{"empty", func(in *Input) { in.Seq = 0; in.InputIDs = nil }, nil, "positive"},
		{"label range", func(*Input) {}, &Labels{Class: []int{3}}, "outside [0, 3)"},
		{"label count", func(*Input) {}, &Labels{Class: []int{1, 2}}, "one per sequence"},
	}
	for _, c := range cases {
		in := ok()
		c.edit(in)
		_, err := m.Forward(in, c.lb, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// TestWriteFileAtomicErrors: a failed write names the requested file and
// the cause, never the temporary file, and leaves nothing behind.
func TestWriteFileAtomicErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-dir", "config.json")
	err := WriteFileAtomic(missing, []byte("{}"))
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "no such file") || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("missing directory: %v", err)
	}
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "keep"), []byte("x"), 0o644)
	err = WriteFileAtomic(sub, []byte("{}")) // rename over a non-empty directory
	if err == nil || !strings.Contains(err.Error(), "write "+sub+":") || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("over a directory: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("leftovers: %v", ents)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "ok.json"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "ok.json")); string(b) != "{}" {
		t.Errorf("wrote %q", b)
	}
}

// TestLoadUntiedMLMRefused: tie_word_embeddings false is refused for the
// MLM head (which always ties) and harmless for the others.
func TestLoadUntiedMLMRefused(t *testing.T) {
	dir := folder(t, map[string]string{"model.safetensors": FileSafetensors})
	b, err := os.ReadFile(filepath.Join(dir, FileConfig))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"use_cache": true`), []byte(`"use_cache": true, "tie_word_embeddings": false`), 1)
	os.WriteFile(filepath.Join(dir, FileConfig), b, 0o644)
	if _, _, err := Load(dir, LoadOptions{Head: HeadMLM}); err == nil || !strings.Contains(err.Error(), `"tie_word_embeddings"`) || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("mlm: %v", err)
	}
	if _, _, err := Load(dir, LoadOptions{Head: HeadSeqCls}); err != nil {
		t.Errorf("seqcls: %v", err)
	}
}
