package pretrain_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/medbert/medbert/pretrain"
	"github.com/medbert/medbert/tokenize"
)

// Mask a sequence as BERT's pre-training does: with whole-word masking,
// a word and its "##" pieces are selected together, [CLS] and [SEP] never;
// a label is the original id where a position was selected, -100 elsewhere.
func ExampleMasker() {
	v, err := tokenize.NewVocab("vocab.txt", []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "pneum", "##onia", "cough"})
	if err != nil {
		panic(err)
	}
	tok, err := tokenize.New(v, tokenize.DefaultSettings(true))
	if err != nil {
		panic(err)
	}
	m := pretrain.NewMasker(tok, 0.5, true)
	ids := []int{2, 5, 6, 7, 3} // [CLS] pneum ##onia cough [SEP]
	for seed := range uint64(6) {
		_, labels := m.Mask(ids, rand.New(rand.NewPCG(seed, 1)))
		fmt.Println(labels)
	}
	// Output:
	// [-100 -100 -100 7 -100]
	// [-100 -100 -100 7 -100]
	// [-100 -100 -100 7 -100]
	// [-100 -100 -100 7 -100]
	// [-100 5 6 -100 -100]
	// [-100 5 6 -100 -100]
}
