package tokenize_test

import (
	"fmt"
	"strings"

	"github.com/medbert/medbert/tokenize"
)

// A long note is cut before tokenization to what 8 tokens can need; the
// first 8 tokens are those of the whole note.
func ExampleTokenizer_CutForTokens() {
	v, _ := tokenize.NewVocab("vocab", []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
		"chest", "pain", ",", "bp", "150", "/", "90", "."})
	tok, _ := tokenize.New(v, tokenize.DefaultSettings(true))
	note := strings.Repeat("Chest pain, BP 150/90. ", 100000) // 2.3 MB
	cut := tok.CutForTokens(note, 8)
	fmt.Printf("%d bytes kept of %d\n", len(cut), len(note))
	enc, _ := tok.Encode(cut, tokenize.Options{MaxLength: 10, Truncation: tokenize.LongestFirst})
	fmt.Println(enc.Tokens)
	// Output:
	// 23 bytes kept of 2300000
	// [[CLS] chest pain , bp 150 / 90 . [SEP]]
}
