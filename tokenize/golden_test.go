package tokenize

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

const testdataDir = "../testdata"

type goldenCase struct {
	ID     int      `json:"id"`
	Text   string   `json:"text"`
	Tokens []string `json:"tokens"`
	IDs    []int    `json:"ids"`
}

type pairCase struct {
	Vocab         string   `json:"vocab"`
	DoLowerCase   bool     `json:"do_lower_case"`
	Question      string   `json:"question"`
	Context       string   `json:"context"`
	MaxLength     int      `json:"max_length"`
	Truncation    string   `json:"truncation"`
	Padding       string   `json:"padding"`
	InputIDs      []int    `json:"input_ids"`
	TokenTypeIDs  []int    `json:"token_type_ids"`
	AttentionMask []int    `json:"attention_mask"`
	Tokens        []string `json:"tokens"`
	Removed       int      `json:"num_context_tokens_removed"`
}

func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	tokOnce  sync.Once
	tokCased *Tokenizer
	tokUnc   *Tokenizer
	genCased *Tokenizer // same, with the ASCII fast path disabled
	genUnc   *Tokenizer
	tokErr   error
)

// testTokenizers returns bert-base-cased (no lowering) and bert-base-uncased
// (lowering) tokenizers, built once.
func testTokenizers(t testing.TB) (cased, uncased *Tokenizer) {
	t.Helper()
	tokOnce.Do(func() {
		for _, c := range []struct {
			name  string
			lower bool
			dst   **Tokenizer
			gen   **Tokenizer
		}{{"cased", false, &tokCased, &genCased}, {"uncased", true, &tokUnc, &genUnc}} {
			v, err := LoadVocab(filepath.Join(testdataDir, "vocab", "bert-base-"+c.name+"-vocab.txt"))
			if err != nil {
				tokErr = err
				return
			}
			s := DefaultSettings(c.lower)
			s.ModelMaxLength = 512
			if *c.dst, err = New(v, s); err != nil {
				tokErr = err
				return
			}
			if *c.gen, err = New(v, s); err != nil {
				tokErr = err
				return
			}
			(*c.gen).forceGeneral = true
		}
	})
	if tokErr != nil {
		t.Fatal(tokErr)
	}
	return tokCased, tokUnc
}

func goldenCases(t testing.TB, name string) []goldenCase {
	return readJSONL[goldenCase](t, filepath.Join(testdataDir, "golden", "tokenizer", "tokenizer_"+name+".jsonl"))
}

func TestGoldenTokens(t *testing.T) {
	cased, uncased := testTokenizers(t)
	for _, general := range []bool{false, true} {
		if general {
			cased, uncased = genCased, genUnc
		}
		for _, c := range []struct {
			name string
			tok  *Tokenizer
		}{{"cased", cased}, {"uncased", uncased}} {
			cases := goldenCases(t, c.name)
			if len(cases) != 331 {
				t.Fatalf("%s: %d cases, want 331", c.name, len(cases))
			}
			bad := 0
			for _, g := range cases {
				toks := c.tok.Tokenize(g.Text)
				ids := make([]int, len(toks))
				for i, tk := range toks {
					ids[i] = tk.ID
				}
				strs := c.tok.TokenStrings(toks)
				if !slices.Equal(ids, g.IDs) || !slices.Equal(strs, g.Tokens) {
					bad++
					if bad <= 10 {
						t.Errorf("%s general=%v id %d %q:\n got %q %v\nwant %q %v", c.name, general, g.ID, g.Text, strs, ids, g.Tokens, g.IDs)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%s general=%v: %d/%d golden cases differ", c.name, general, bad, len(cases))
			}
		}
	}
}
