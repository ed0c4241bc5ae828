package bert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const tinyDir = "../testdata/golden/tiny"

func TestLoadConfigTiny(t *testing.T) {
	c, err := LoadConfig(filepath.Join(tinyDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.VocabSize != 512 || c.HiddenSize != 64 || c.NumHiddenLayers != 2 || c.NumAttentionHeads != 4 ||
		c.IntermediateSize != 128 || c.MaxPositionEmbeddings != 64 || c.TypeVocabSize != 2 {
		t.Fatalf("shape fields wrong: %+v", c)
	}
	if c.HiddenAct != "gelu" || c.LayerNormEps != 1e-12 || c.PadTokenID != 0 || c.ClassifierDropout != nil {
		t.Fatalf("misc fields wrong: %+v", c)
	}
	if c.NumLabels != 3 || c.ID2Label[2] != "POSITIVE" || c.Label2ID["NEUTRAL"] != 1 {
		t.Fatalf("labels wrong: %d %v %v", c.NumLabels, c.ID2Label, c.Label2ID)
	}
	if DefaultHead(c) != HeadSeqCls || c.HeadDim() != 16 {
		t.Fatalf("default head %q, head dim %d", DefaultHead(c), c.HeadDim())
	}
	if string(c.Extra["use_cache"]) != "true" || string(c.Extra["torch_dtype"]) != `"float32"` {
		t.Fatalf("extra fields not preserved: %v", c.Extra)
	}
	if len(c.Warnings) != 0 {
		t.Fatalf("unexpected warnings %v", c.Warnings)
	}
}

func TestConfigRoundTrip(t *testing.T) {
	c, err := LoadConfig(filepath.Join(tinyDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseConfig(b, "roundtrip")
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("round trip differs:\n%+v\n%+v", c, d)
	}
	// HF reads id2label keys as strings of ints.
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["id2label"].(map[string]any)["1"] != "NEUTRAL" {
		t.Fatalf("id2label not keyed by strings: %v", raw["id2label"])
	}
}

func mutateTiny(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tinyDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(m map[string]any)
		want []string
	}{
		{"missing hidden_size", func(m map[string]any) { delete(m, "hidden_size") }, []string{"my/config.json", `"hidden_size"`, "missing"}},
		{"missing vocab_size", func(m map[string]any) { delete(m, "vocab_size") }, []string{`"vocab_size"`, "missing"}},
		{"string layers", func(m map[string]any) { m["num_hidden_layers"] = "two" }, []string{`"num_hidden_layers"`, "number"}},
		{"fractional heads", func(m map[string]any) { m["num_attention_heads"] = 4.5 }, []string{`"num_attention_heads"`, "integer"}},
		{"heads not dividing", func(m map[string]any) { m["num_attention_heads"] = 5 }, []string{"multiple of num_attention_heads"}},
		{"bad act", func(m map[string]any) { m["hidden_act"] = "swish" }, []string{`"hidden_act"`, "swish"}},
		{"relative pos", func(m map[string]any) { m["position_embedding_type"] = "relative_key" }, []string{`"position_embedding_type"`, "relative_key"}},
		{"roberta", func(m map[string]any) { m["model_type"] = "roberta" }, []string{`"model_type"`, "roberta"}},
		{"bad problem", func(m map[string]any) { m["problem_type"] = "ranking" }, []string{`"problem_type"`, "ranking"}},
		{"bad id2label key", func(m map[string]any) { m["id2label"] = map[string]any{"a": "x"} }, []string{`"id2label"`, `"a"`}},
		{"gap in labels", func(m map[string]any) { m["id2label"] = map[string]any{"0": "x", "2": "y"} }, []string{`"id2label"`, "1 is missing"}},
		{"dropout 1", func(m map[string]any) { m["hidden_dropout_prob"] = 1.0 }, []string{`"hidden_dropout_prob"`}},
		{"zero eps", func(m map[string]any) { m["layer_norm_eps"] = 0 }, []string{`"layer_norm_eps"`}},
		{"pad out of vocab", func(m map[string]any) { m["pad_token_id"] = 512 }, []string{`"pad_token_id"`}},
		{"negative vocab", func(m map[string]any) { m["vocab_size"] = -3 }, []string{`"vocab_size"`, "positive"}},
		{"decoder", func(m map[string]any) { m["is_decoder"] = true }, []string{"my/config.json", `"is_decoder"`, "encoders"}},
		{"cross attention", func(m map[string]any) { m["add_cross_attention"] = true }, []string{`"add_cross_attention"`, "not supported"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(mutateTiny(t, tc.edit), "my/config.json")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "my/config.json") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
	if _, err := ParseConfig([]byte("[1,2]"), "x.json"); err == nil || !strings.Contains(err.Error(), "x.json") {
		t.Fatalf("non-object config: %v", err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "nope.json")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestConfigLabelSemantics(t *testing.T) {
	// num_labels alone -> LABEL_i names.
	c, err := ParseConfig(mutateTiny(t, func(m map[string]any) {
		delete(m, "id2label")
		delete(m, "label2id")
		m["num_labels"] = 5
	}), "c")
	if err != nil {
		t.Fatal(err)
	}
	if c.NumLabels != 5 || c.ID2Label[4] != "LABEL_4" || c.Label2ID["LABEL_0"] != 0 {
		t.Fatalf("got %d %v", c.NumLabels, c.ID2Label)
	}
	// Neither -> 2 labels (HF default).
	c, err = ParseConfig(mutateTiny(t, func(m map[string]any) {
		delete(m, "id2label")
		delete(m, "label2id")
		delete(m, "num_labels")
	}), "c")
	if err != nil {
		t.Fatal(err)
	}
	if c.NumLabels != 2 {
		t.Fatalf("default num_labels %d", c.NumLabels)
	}
	// id2label wins over a disagreeing num_labels, with a warning.
	c, err = ParseConfig(mutateTiny(t, func(m map[string]any) { m["num_labels"] = 7 }), "c")
	if err != nil {
		t.Fatal(err)
	}
	if c.NumLabels != 3 || len(c.Warnings) != 1 {
		t.Fatalf("num_labels %d warnings %v", c.NumLabels, c.Warnings)
	}
	// classifier_dropout set, pad_token_id null, optional fields defaulted.
	c, err = ParseConfig(mutateTiny(t, func(m map[string]any) {
		m["classifier_dropout"] = 0.3
		m["pad_token_id"] = nil
		delete(m, "layer_norm_eps")
		delete(m, "hidden_act")
		delete(m, "type_vocab_size")
	}), "c")
	if err != nil {
		t.Fatal(err)
	}
	if c.ClassifierDropoutProb() != 0.3 || c.PadTokenID != -1 || c.LayerNormEps != 1e-12 || c.HiddenAct != "gelu" || c.TypeVocabSize != 2 {
		t.Fatalf("defaults wrong: %+v", c)
	}
}

func TestCanonicalKey(t *testing.T) {
	cases := map[string]string{
		"bert.embeddings.LayerNorm.gamma":                    "bert.embeddings.LayerNorm.weight",
		"bert.encoder.layer.1.output.LayerNorm.beta":         "bert.encoder.layer.1.output.LayerNorm.bias",
		"embeddings.word_embeddings.weight":                  "bert.embeddings.word_embeddings.weight",
		"encoder.layer.0.attention.self.query.bias":          "bert.encoder.layer.0.attention.self.query.bias",
		"pooler.dense.weight":                                "bert.pooler.dense.weight",
		"cls.predictions.transform.LayerNorm.gamma":          "cls.predictions.transform.LayerNorm.weight",
		"classifier.weight":                                  "classifier.weight",
		"bert.encoder.layer.0.attention.output.dense.weight": "bert.encoder.layer.0.attention.output.dense.weight",
	}
	for in, want := range cases {
		if got := CanonicalKey(in); got != want {
			t.Errorf("CanonicalKey(%q) = %q, want %q", in, got, want)
		}
	}
	if SaveKey(HeadBase, "bert.pooler.dense.bias") != "pooler.dense.bias" || SaveKey(HeadSeqCls, "bert.pooler.dense.bias") != "bert.pooler.dense.bias" {
		t.Fatal("SaveKey prefix handling wrong")
	}
	ix := indexKeys([]string{"bert.embeddings.LayerNorm.gamma", "bert.embeddings.LayerNorm.weight"})
	if ix.byCanon["bert.embeddings.LayerNorm.weight"] != "bert.embeddings.LayerNorm.weight" || len(ix.dups) != 1 {
		t.Fatalf("modern name not preferred: %v %v", ix.byCanon, ix.dups)
	}
}

// TestConfigDecoderFalseAccepted: configs that spell out the encoder
// defaults (is_decoder / add_cross_attention false) load.
func TestConfigDecoderFalseAccepted(t *testing.T) {
	c, err := ParseConfig(mutateTiny(t, func(m map[string]any) { m["is_decoder"], m["add_cross_attention"] = false, false }), "c.json")
	if err != nil || c.HiddenSize != 64 {
		t.Fatalf("is_decoder false: %v", err)
	}
}
