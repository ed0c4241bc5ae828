package vocab

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestBertBaseCased(t *testing.T) {
	b := BertBaseCased()
	sum := sha256.Sum256(b)
	if got, want := hex.EncodeToString(sum[:]), "eeaa9875b23b04b4c54ef759d03db9d1ba1554838f8fb26c5d96fa551df93d02"; got != want {
		t.Fatalf("sha256 = %s, want %s", got, want)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) != 28996 {
		t.Fatalf("%d entries, want 28996", len(lines))
	}
	for id, tok := range map[int]string{0: "[PAD]", 100: "[UNK]", 101: "[CLS]", 102: "[SEP]", 103: "[MASK]"} {
		if string(lines[id]) != tok {
			t.Errorf("id %d = %q, want %q", id, lines[id], tok)
		}
	}
}
