package pretrained_test

import (
	"fmt"
	"sort"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/pretrained"
	"github.com/medbert/medbert/tokenize"
)

// fillMask returns the k most likely tokens for the [MASK] of text.
func fillMask(m *bert.Model, tok *tokenize.Tokenizer, text string, k int) ([]string, error) {
	enc, err := tok.Encode(text, tokenize.Options{})
	if err != nil {
		return nil, err
	}
	at := -1
	for i, t := range enc.Tokens {
		if t == "[MASK]" {
			at = i
		}
	}
	if at < 0 {
		return nil, fmt.Errorf("no [MASK] in %q", text)
	}
	out, err := m.Forward(&bert.Input{Batch: 1, Seq: len(enc.IDs), InputIDs: enc.IDs}, nil, bert.Options{})
	if err != nil {
		return nil, err
	}
	v := m.Config.VocabSize
	logits := out.Logits.Data[at*v : (at+1)*v]
	ids := make([]int, v)
	for i := range ids {
		ids[i] = i
	}
	sort.SliceStable(ids, func(a, b int) bool { return logits[ids[a]] > logits[ids[b]] })
	words := make([]string, k)
	for i := range words {
		words[i] = tok.Vocab().Token(ids[i])
	}
	return words, nil
}

// Load the embedded model with its masked-LM head and ask it for the
// likeliest words in place of [MASK].
func ExampleFiles() {
	m, _, err := bert.LoadFS(pretrained.Files(), pretrained.Name, bert.LoadOptions{Head: bert.HeadMLM})
	if err != nil {
		panic(err)
	}
	s, v, err := tokenize.ReadFS(pretrained.Files(), pretrained.Name)
	if err != nil {
		panic(err)
	}
	tok, err := tokenize.New(v, s)
	if err != nil {
		panic(err)
	}
	for _, text := range []string{
		"She has a history of type 2 [MASK] mellitus.",
		"Take this medicine twice a [MASK].",
	} {
		top, err := fillMask(m, tok, text, 3)
		if err != nil {
			panic(err)
		}
		fmt.Println(top)
	}
	// Output:
	// [diabetes type 2]
	// [day patient doctor]
}
