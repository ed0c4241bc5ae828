package tokencls_test

import (
	"fmt"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/task/tokencls"
	"github.com/medbert/medbert/tokenize"
)

// Tags can be rewritten between schemes without changing the entities.
func ExampleConvert() {
	bio := []string{"B-Disease", "I-Disease", "O", "B-Chemical", "I-Disease"}
	fmt.Println(tokencls.Convert(bio, tokencls.IOBES))
	// Output: [B-Disease E-Disease O S-Chemical S-Disease]
}

// Featurize puts each word's tag on its first WordPiece and ignores the
// other pieces (-100).
func ExampleFeaturize() {
	v, _ := tokenize.NewVocab("example", []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "ata", "##xia", "is", "rare"})
	tok, _ := tokenize.New(v, tokenize.DefaultSettings(true))
	s := data.Sentence{Tokens: []string{"Ataxia", "is", "rare"}, Tags: []string{"B-Disease", "O", "O"}}
	fs, _ := tokencls.Featurize(tok, []data.Sentence{s}, map[string]int{"B-Disease": 0, "I-Disease": 1, "O": 2}, tokencls.Options{})
	fmt.Println(fs[0].Tokens)
	fmt.Println(fs[0].Labels)
	fmt.Println(fs[0].Words)
	// Output:
	// [[CLS] ata ##xia is rare [SEP]]
	// [-100 0 -100 2 2 -100]
	// [-1 0 0 1 2 -1]
}
