package tokenize

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// Limits on vocabularies, so a small hostile file cannot make the lookup
// trie (about 100 bytes per token byte in the worst case) take gigabytes.
// WordPiece never matches a word longer than 100 characters (HF's
// max_input_chars_per_word), so no useful token is longer than 400 bytes;
// the largest published BERT vocabularies (250k tokens) are ~3 MB.
const (
	MaxTokenBytes     = 1024
	MaxVocabFileBytes = 16 << 20
)

// NewVocab builds a vocabulary from tokens in id order. name is used in
// error messages (a file name or "tokenizer.json").
func NewVocab(name string, tokens []string) (*Vocab, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("%s: vocabulary is empty", name)
	}
	v := &Vocab{tokens: tokens, ids: make(map[string]int, len(tokens))}
	for i, t := range tokens {
		if len(t) > MaxTokenBytes {
			return nil, fmt.Errorf("%s: token at id %d is %d bytes, longer than the limit of %d bytes", name, i, len(t), MaxTokenBytes)
		}
		if prev, dup := v.ids[t]; dup {
			return nil, fmt.Errorf("%s: token %q at id %d duplicates id %d", name, t, i, prev)
		}
		v.ids[t] = i
	}
	return v, nil
}

// LoadVocab reads a vocab.txt: one token per line, id = 0-based line number.
// LF and CRLF line ends, a missing final newline and blank lines at the very
// end (an editor's or `echo >>`'s extra newline: no id shifts) are accepted,
// and a UTF-8 byte-order mark is ignored. Empty lines between tokens,
// duplicate tokens, invalid UTF-8
// and empty files are errors that name the file and line: HF would silently
// let a later duplicate win, which shifts every id after it.
func LoadVocab(path string) (*Vocab, error) {
	data, err := readBounded(path, MaxVocabFileBytes)
	if err != nil {
		return nil, fmt.Errorf("load vocab: %w", err)
	}
	return ParseVocab(path, data)
}

// readBounded reads a whole file, refusing one larger than limit before
// reading it (and one that grows past limit while being read).
func readBounded(path string, limit int64) ([]byte, error) {
	return readBoundedFS(osFS{}, path, path, limit)
}

// osFS opens paths of the operating system as they are (os.DirFS would
// refuse absolute and relative-to-parent paths).
type osFS struct{}

func (osFS) Open(name string) (fs.File, error) { return os.Open(name) }

// readBoundedFS is readBounded for the file name of fsys; path names it in
// errors.
func readBoundedFS(fsys fs.FS, name, path string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes exceeds the limit of %d bytes", path, st.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: exceeds the limit of %d bytes", path, limit)
	}
	return data, nil
}

// ParseVocab parses vocab.txt content; name is used in error messages.
func ParseVocab(name string, data []byte) (*Vocab, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: vocabulary file is empty", name)
	}
	// Lines are cut from the bytes one at a time and become strings only
	// once their length is checked: a huge line costs no copy.
	rest := bytes.TrimRight(data, "\r\n")
	n := bytes.Count(rest, []byte("\n")) + 1
	v := &Vocab{tokens: make([]string, 0, n), ids: make(map[string]int, n)}
	for line := 1; rest != nil; line++ {
		lb, after, found := bytes.Cut(rest, []byte("\n"))
		if !found {
			after = nil
		}
		rest = after
		lb = bytes.TrimSuffix(lb, []byte("\r"))
		if len(lb) > MaxTokenBytes {
			return nil, fmt.Errorf("%s:%d: token of %d bytes is longer than the limit of %d bytes", name, line, len(lb), MaxTokenBytes)
		}
		tok := string(lb)
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
// Nodes are numbered breadth-first, so the children of a node are the
// contiguous nodes lo+1..hi and label[j] is the byte leading to node j+1;
// one 12-byte node and one short label scan per input byte.
type trie struct {
	root  [256]int32 // child of the root per byte, -1 if none
	nodes []tnode
	label []byte
	dense []int32
}

type tnode struct {
	id     int32 // token id ending here, -1 if none
	lo, hi int32 // children: label[lo:hi], nodes lo+1..hi
	dense  int32 // if >= 0, dense[dense+c] is the child for byte c (or -1)
}

// denseKids is the child count from which a node gets a 256-entry table
// instead of a label scan (about 130 nodes for a BERT vocabulary).
const denseKids = 12

// newTrie indexes the tokens that start with prefix, prefix removed; with an
// empty prefix it indexes every token (HF matches a word's first piece
// against the whole vocabulary, "##" entries included).
func newTrie(tokens []string, prefix string) *trie {
	type key struct {
		s  string
		id int32
	}
	keys := make([]key, 0, len(tokens))
	for id, tok := range tokens {
		if prefix != "" {
			if !strings.HasPrefix(tok, prefix) || len(tok) == len(prefix) {
				continue
			}
			tok = tok[len(prefix):]
		}
		keys = append(keys, key{tok, int32(id)})
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a].s < keys[b].s })

	t := &trie{}
	for i := range t.root {
		t.root[i] = -1
	}
	// Breadth-first over ranges of sorted keys sharing a d-byte prefix:
	// queue entry q is node q. Keys equal to the prefix sort first and end
	// at the node; the rest group by their byte d into children.
	type item struct{ a, b, d int }
	queue := []item{{0, len(keys), 0}}
	t.nodes = append(t.nodes, tnode{id: -1, dense: -1})
	for q := 0; q < len(queue); q++ {
		a, b, d := queue[q].a, queue[q].b, queue[q].d
		if a < b && len(keys[a].s) == d {
			t.nodes[q].id = keys[a].id
			a++
		}
		lo := int32(len(t.label))
		for a < b {
			c, e := keys[a].s[d], a+1
			for e < b && keys[e].s[d] == c {
				e++
			}
			idx := int32(len(t.nodes))
			t.nodes = append(t.nodes, tnode{id: -1, dense: -1})
			t.label = append(t.label, c)
			if q == 0 {
				t.root[c] = idx
			}
			queue = append(queue, item{a, e, d + 1})
			a = e
		}
		hi := int32(len(t.label))
		t.nodes[q].lo, t.nodes[q].hi = lo, hi
		if hi-lo >= denseKids {
			t.nodes[q].dense = int32(len(t.dense))
			for c := 0; c < 256; c++ {
				t.dense = append(t.dense, -1)
			}
			for j := lo; j < hi; j++ {
				t.dense[int(t.nodes[q].dense)+int(t.label[j])] = j + 1
			}
		}
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
		nd := &t.nodes[n]
		if nd.id >= 0 && (k == len(w) || utf8.RuneStart(w[k])) {
			id, end = nd.id, k
		}
		if k == len(w) {
			break
		}
		c := w[k]
		if nd.dense >= 0 {
			n = t.dense[int(nd.dense)+int(c)]
			continue
		}
		n = -1
		for j, l := range t.label[nd.lo:nd.hi] {
			if l == c {
				n = nd.lo + int32(j) + 1
				break
			}
		}
	}
	return
}
