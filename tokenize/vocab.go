package tokenize

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode/utf8"
)

// Vocab is a WordPiece vocabulary: token strings and their ids (0..Len()-1).
type Vocab struct {
	tokens []string
	ids    map[string]int
}

// Len returns the number of tokens.
func (v *Vocab) Len() int { return len(v.tokens) }

// Token returns the string of id, or "" when id is out of range.
func (v *Vocab) Token(id int) string {
	if id < 0 || id >= len(v.tokens) {
		return ""
	}
	return v.tokens[id]
}

// ID returns the id of token and whether it exists.
func (v *Vocab) ID(token string) (int, bool) {
	id, ok := v.ids[token]
	return id, ok
}

// Tokens returns the tokens in id order. The caller must not modify it.
func (v *Vocab) Tokens() []string { return v.tokens }

// NewVocab builds a vocabulary from tokens in id order. name is used in
// error messages (a file name or "tokenizer.json").
func NewVocab(name string, tokens []string) (*Vocab, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("%s: vocabulary is empty", name)
	}
	v := &Vocab{tokens: tokens, ids: make(map[string]int, len(tokens))}
	for i, t := range tokens {
		if prev, dup := v.ids[t]; dup {
			return nil, fmt.Errorf("%s: token %q at id %d duplicates id %d", name, t, i, prev)
		}
		v.ids[t] = i
	}
	return v, nil
}

// LoadVocab reads a vocab.txt: one token per line, id = 0-based line number.
// LF and CRLF line ends and a missing final newline are accepted, and a UTF-8
// byte-order mark is ignored. Empty lines, duplicate tokens, invalid UTF-8
// and empty files are errors that name the file and line: HF would silently
// let a later duplicate win, which shifts every id after it.
func LoadVocab(path string) (*Vocab, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load vocab: %w", err)
	}
	return ParseVocab(path, data)
}

// ParseVocab parses vocab.txt content; name is used in error messages.
func ParseVocab(name string, data []byte) (*Vocab, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: vocabulary file is empty", name)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	v := &Vocab{tokens: make([]string, 0, len(lines)), ids: make(map[string]int, len(lines))}
	for i, tok := range lines {
		line := i + 1
		tok = strings.TrimSuffix(tok, "\r")
		if tok == "" {
			return nil, fmt.Errorf("%s:%d: empty token line", name, line)
		}
		if !utf8.ValidString(tok) {
			return nil, fmt.Errorf("%s:%d: token is not valid UTF-8", name, line)
		}
		if prev, dup := v.ids[tok]; dup {
			return nil, fmt.Errorf("%s:%d: duplicate token %q (first on line %d)", name, line, tok, prev+1)
		}
		v.ids[tok] = len(v.tokens)
		v.tokens = append(v.tokens, tok)
	}
	if len(v.tokens) == 0 {
		return nil, errors.New(name + ": vocabulary file is empty")
	}
	return v, nil
}

// trie is a byte trie over vocabulary tokens for greedy longest-prefix
// matching in one pass, instead of HF's shrink-and-retry loop of map lookups
// (same result: the longest vocabulary entry that prefixes the rest).
// Nodes are flattened so that each node's children are contiguous.
type trie struct {
	root   [256]int32 // child of the root per byte, -1 if none
	id     []int32    // token id ending at node, -1 if none
	lo, hi []int32    // children of node are label/child[lo:hi]
	label  []byte
	child  []int32
}

type buildNode struct {
	id    int32
	label byte
	kids  []*buildNode
}

func (n *buildNode) kid(c byte) *buildNode {
	for _, k := range n.kids {
		if k.label == c {
			return k
		}
	}
	k := &buildNode{id: -1, label: c}
	n.kids = append(n.kids, k)
	return k
}

// newTrie indexes the tokens that start with prefix, prefix removed; with an
// empty prefix it indexes every token (HF matches a word's first piece
// against the whole vocabulary, "##" entries included).
func newTrie(tokens []string, prefix string) *trie {
	root := &buildNode{id: -1}
	for id, tok := range tokens {
		if prefix != "" {
			if !strings.HasPrefix(tok, prefix) || len(tok) == len(prefix) {
				continue
			}
			tok = tok[len(prefix):]
		}
		n := root
		for i := 0; i < len(tok); i++ {
			n = n.kid(tok[i])
		}
		n.id = int32(id)
	}
	t := &trie{}
	for i := range t.root {
		t.root[i] = -1
	}
	// Breadth-first flattening; node 0 is the root.
	queue := []*buildNode{root}
	t.id = append(t.id, -1)
	t.lo = append(t.lo, 0)
	t.hi = append(t.hi, 0)
	for q := 0; q < len(queue); q++ {
		n := queue[q]
		sort.Slice(n.kids, func(a, b int) bool { return n.kids[a].label < n.kids[b].label })
		lo := int32(len(t.label))
		for _, k := range n.kids {
			idx := int32(len(t.id))
			t.id = append(t.id, k.id)
			t.lo = append(t.lo, 0)
			t.hi = append(t.hi, 0)
			t.label = append(t.label, k.label)
			t.child = append(t.child, idx)
			if q == 0 {
				t.root[k.label] = idx
			}
			queue = append(queue, k)
		}
		t.lo[q], t.hi[q] = lo, int32(len(t.label))
	}
	return t
}

// longest returns the id and end of the longest token that is a prefix of
// w[from:] ending on a rune boundary, or id -1.
func (t *trie) longest(w string, from int) (id int32, end int) {
	id = -1
	if from >= len(w) {
		return
	}
	n := t.root[w[from]]
	for k := from + 1; n >= 0; k++ {
		if t.id[n] >= 0 && (k == len(w) || utf8.RuneStart(w[k])) {
			id, end = t.id[n], k
		}
		if k == len(w) {
			break
		}
		c, lo, hi := w[k], t.lo[n], t.hi[n]
		n = -1
		for j := lo; j < hi; j++ {
			if t.label[j] == c {
				n = t.child[j]
				break
			}
		}
	}
	return
}
