package tokenize

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// allocDuring reports the bytes allocated while fn runs.
func allocDuring(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// A 25 MB token in vocab.txt is refused with file:line and the limit, in
// memory that does not grow with the token (the trie would cost ~100 bytes
// per byte of it).
func TestVocabHugeTokenRefused(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("[PAD]\n[UNK]\n[CLS]\n")
	b.Write(bytes.Repeat([]byte("a"), 25<<20))
	b.WriteString("\n[SEP]\n")
	data := b.Bytes()
	var err error
	grew := allocDuring(func() { _, err = ParseVocab("vocab.txt", data) })
	if err == nil || !strings.Contains(err.Error(), "vocab.txt:4") || !strings.Contains(err.Error(), "1024 bytes") {
		t.Fatalf("err = %v, want vocab.txt:4 and the 1024-byte limit", err)
	}
	if len(err.Error()) > 200 {
		t.Errorf("error message of %d bytes: it must not carry the token", len(err.Error()))
	}
	if grew > 1<<20 {
		t.Errorf("parsing allocated %d bytes for a %d-byte file", grew, len(data))
	}
	// LoadVocab refuses an oversized file before reading it.
	p := filepath.Join(t.TempDir(), "vocab.txt")
	f, _ := os.Create(p)
	f.Truncate(MaxVocabFileBytes + 1)
	f.Close()
	grew = allocDuring(func() { _, err = LoadVocab(p) })
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("oversized vocab.txt: %v", err)
	}
	if grew > 1<<20 {
		t.Errorf("LoadVocab allocated %d bytes for an oversized file", grew)
	}
	// tokenizer.json vocabularies go through NewVocab: same bound.
	if _, err := NewVocab("tokenizer.json", []string{"[UNK]", strings.Repeat("b", 2000)}); err == nil || !strings.Contains(err.Error(), "1024 bytes") {
		t.Errorf("NewVocab long token: %v", err)
	}
}
