package tokenize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readVocabFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdataDir, "vocab", "bert-base-"+name+"-vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseVocabErrors(t *testing.T) {
	for _, c := range []struct{ data, want string }{
		{"", "v.txt: vocabulary file is empty"},
		{"\n\n", "v.txt: vocabulary file is empty"},
		{"[PAD]\na\nb\na\n", `v.txt:4: duplicate token "a" (first on line 2)`},
		{"[PAD]\n\nb\n", "v.txt:2: empty token line"},
		{"a\n\xff\n", "v.txt:2: token is not valid UTF-8"},
	} {
		_, err := ParseVocab("v.txt", []byte(c.data))
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseVocab(%q) error %v, want %q", c.data, err, c.want)
		}
	}
	for _, in := range []string{"\ufeff[PAD]\r\n[UNK]\r\nx", "[PAD]\n[UNK]\nx\n", "[PAD]\n[UNK]\nx\n\n\r\n"} {
		v, err := ParseVocab("v.txt", []byte(in))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if !slices.Equal(v.Tokens(), []string{"[PAD]", "[UNK]", "x"}) {
			t.Fatalf("%q: tokens %q", in, v.Tokens())
		}
	}
	if _, err := LoadVocab(filepath.Join(t.TempDir(), "missing.txt")); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Fatalf("missing file error %v", err)
	}
}

func TestLoadDirCasing(t *testing.T) {
	cased, uncased := readVocabFile(t, "cased"), readVocabFile(t, "uncased")
	type want struct {
		lower  bool
		reason string
		maxLen int
	}
	for name, c := range map[string]struct {
		files map[string]string
		want  want
	}{
		// BioBERT v1.1 / Bio_ClinicalBERT layout: cased vocab, no tokenizer_config.json.
		"cased vocab only": {map[string]string{"vocab.txt": cased, "config.json": `{"max_position_embeddings": 512}`},
			want{false, "model is cased", 512}},
		"uncased vocab only": {map[string]string{"vocab.txt": uncased},
			want{true, "model is uncased", 0}},
		"config says lower": {map[string]string{"vocab.txt": cased, "tokenizer_config.json": `{"do_lower_case": true, "model_max_length": 1000000000000000019884624838656}`, "config.json": `{"max_position_embeddings": 512}`},
			want{true, "tokenizer_config.json: do_lower_case=true", 512}},
		"config says cased": {map[string]string{"vocab.txt": uncased, "tokenizer_config.json": `{"do_lower_case": false, "model_max_length": 128, "unk_token": {"content": "[UNK]", "__type": "AddedToken"}}`},
			want{false, "tokenizer_config.json: do_lower_case=false", 128}},
		"config without casing": {map[string]string{"vocab.txt": cased, "tokenizer_config.json": `{}`},
			want{true, "BertTokenizer default true", 0}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, content := range c.files {
				writeFile(t, dir, f, content)
			}
			tok, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			s := tok.Settings()
			if s.DoLowerCase != c.want.lower || !strings.Contains(s.LowerCaseReason, c.want.reason) || s.ModelMaxLength != c.want.maxLen {
				t.Fatalf("lower=%v reason=%q maxLen=%d, want %+v", s.DoLowerCase, s.LowerCaseReason, s.ModelMaxLength, c.want)
			}
			// The decision changes ids: "Patient" is one cased token but "patient" uncased.
			got := tok.TokenStrings(tok.Tokenize("Patient"))
			if c.want.lower && got[0] != "patient" || !c.want.lower && got[0] != "Pat" && got[0] != "[UNK]" && got[0] != "p" {
				t.Fatalf("Patient -> %q with lower=%v", got, c.want.lower)
			}
			no := false
			tok, err = LoadDirWith(dir, &no)
			if err != nil {
				t.Fatal(err)
			}
			if tok.Settings().DoLowerCase || !strings.HasPrefix(tok.Settings().LowerCaseReason, "override") {
				t.Fatalf("override ignored: %+v", tok.Settings())
			}
		})
	}
}

// TestLoadTokenizerJSON builds an HF tokenizers file from the uncased vocab
// and checks that a folder with only that file tokenizes like vocab.txt.
func TestLoadTokenizerJSON(t *testing.T) {
	_, ref := testTokenizers(t)
	vocab := map[string]int{}
	for i, tok := range ref.Vocab().Tokens() {
		vocab[tok] = i
	}
	doc := map[string]any{
		"version":    "1.0",
		"normalizer": map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"model": map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
			"max_input_chars_per_word": 100, "vocab": vocab},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "tokenizer.json", string(b))
	tok, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s := tok.Settings(); !s.DoLowerCase || !strings.HasPrefix(s.LowerCaseReason, "tokenizer.json") {
		t.Fatalf("settings %+v", s)
	}
	for _, g := range goldenCases(t, "uncased")[:60] {
		if got, want := tok.Tokenize(g.Text), ref.Tokenize(g.Text); !slices.Equal(got, want) {
			t.Fatalf("%q: %v vs %v", g.Text, got, want)
		}
	}

	writeFile(t, dir, "tokenizer.json", `{"model": {"type": "BPE", "vocab": {"a": 0}}}`)
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "not WordPiece") {
		t.Fatalf("BPE error %v", err)
	}
	writeFile(t, dir, "tokenizer.json", `{"model": {"type": "WordPiece", "vocab": {"a": 0, "b": 2}}}`)
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "ids are not 0..1") {
		t.Fatalf("gap error %v", err)
	}
}

func TestLoadDirErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "no vocab.txt") {
		t.Fatalf("empty dir error %v", err)
	}
	writeFile(t, dir, "vocab.txt", "")
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "vocab.txt: vocabulary file is empty") {
		t.Fatalf("empty vocab error %v", err)
	}
	writeFile(t, dir, "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n")
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), `"[MASK]" is not in the vocabulary`) {
		t.Fatalf("missing special error %v", err)
	}
	writeFile(t, dir, "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n")
	writeFile(t, dir, "tokenizer_config.json", `{"do_lower_case": "yes"}`)
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "tokenizer_config.json") {
		t.Fatalf("bad config error %v", err)
	}
}

func TestNeverSplitSetting(t *testing.T) {
	v, err := ParseVocab("v", []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nq\n.\ni\nd\n##d"))
	if err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings(true)
	s.NeverSplit = []string{"q.i.d.", "b.i.d."}
	tok, err := New(v, s)
	if err != nil {
		t.Fatal(err)
	}
	// q.i.d. is kept whole but is not in this vocabulary -> [UNK]; "Q.I.D."
	// lowers to it first; "x.i.d." is split as usual ("x" unknown).
	got := tok.TokenStrings(tok.Tokenize("Q.I.D. q.i.d. x.i.d"))
	want := []string{"[UNK]", "[UNK]", "[UNK]", ".", "i", ".", "d"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q want %q", got, want)
	}
}

// The casing reason names an upper-case token even when the vocabulary
// holds no long one (the tiny golden model's 512 entries).
func TestInferLowerCaseExample(t *testing.T) {
	toks := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	for i := 0; i < 100; i++ {
		toks = append(toks, string(rune('A'+i%26))+string(rune('a'+i/26))) // "Aa", "Ba", ...: all short
	}
	v, err := NewVocab("t", toks)
	if err != nil {
		t.Fatal(err)
	}
	lower, reason := InferLowerCase(v)
	if lower || !strings.Contains(reason, `has 100 tokens with upper-case letters (e.g. "Aa")`) {
		t.Errorf("lower %v, reason %q", lower, reason)
	}
	v, _ = NewVocab("t", append(toks[:5], "ab", "ℝ"))
	if lower, reason = InferLowerCase(v); !lower || !strings.Contains(reason, "only 1 tokens") {
		t.Errorf("lower %v, reason %q", lower, reason)
	}
}

// VocabSettings infers casing unless told; OverrideLowerCase keeps the
// replaced reason.
func TestVocabSettingsOverride(t *testing.T) {
	v, err := NewVocab("t", []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "ab", "ℝ"})
	if err != nil {
		t.Fatal(err)
	}
	s := VocabSettings(v, nil)
	if !s.DoLowerCase || !strings.Contains(s.LowerCaseReason, "only 1 tokens") {
		t.Errorf("inferred: lower %v, reason %q", s.DoLowerCase, s.LowerCaseReason)
	}
	no := false
	if s := VocabSettings(v, &no); s.DoLowerCase || s.LowerCaseReason != "override: do_lower_case=false requested" {
		t.Errorf("override: lower %v, reason %q", s.DoLowerCase, s.LowerCaseReason)
	}
	s.OverrideLowerCase(nil)
	if !s.DoLowerCase {
		t.Error("OverrideLowerCase(nil) changed the casing")
	}
	s.OverrideLowerCase(&no)
	if s.DoLowerCase || !strings.HasPrefix(s.LowerCaseReason, "override: do_lower_case=false requested (folder said: no tokenizer_config.json") {
		t.Errorf("OverrideLowerCase: lower %v, reason %q", s.DoLowerCase, s.LowerCaseReason)
	}
}
