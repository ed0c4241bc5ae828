package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medbert/medbert/seal"
)

func testSigner(b byte) (ed25519.PrivateKey, ed25519.PublicKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
	return priv, priv.Public().(ed25519.PublicKey)
}

// fakeClock returns 2026-12-03T12:00:00Z plus 1ms per call (Open takes
// the first reading, so the first record is at 12:00:00.001).
func fakeClock() func() time.Time {
	var n atomic.Int64
	base := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	return func() time.Time { return base.Add(time.Duration(n.Add(1)-1) * time.Millisecond) }
}

func decision(i int) Record {
	return Record{RequestID: fmt.Sprintf("req-%d", i), Model: "icd", ModelSHA256: strings.Repeat("ab", 32),
		InputSHA256: HashText(fmt.Sprintf("note %d", i)), Labels: []Label{{"I10", 0.75}, {"E11", 0.25}}, LatencyMS: 1.5}
}

// writeLog writes n decisions to a new log in dir and closes it.
func writeLog(t testing.TB, path string, n int, opts Options) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fakeClock()
	}
	w, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := w.Append(decision(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func verifyFile(t testing.TB, path string, opt VerifyOptions) (Report, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return VerifyWith(bytes.NewReader(b), opt)
}

func splitLines(b []byte) [][]byte { return bytes.SplitAfter(b, []byte("\n")) }

// The first line is exactly this (hand-written) and every prev is the
// SHA-256 of the previous line as stored: what an external verifier does.
func TestFormatAndChainByHand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	priv, pub := testSigner(1)
	writeLog(t, path, 3, Options{SigningKey: priv, CheckpointEvery: 2})
	b, _ := os.ReadFile(path)
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	want0 := `{"v":1,"seq":0,"prev":"` + strings.Repeat("0", 64) + `","time":"2026-12-03T12:00:00.001000000Z","kind":"decision",` +
		`"request_id":"req-0","model":"icd","model_sha256":"` + strings.Repeat("ab", 32) + `","input_sha256":"` + HashText("note 0") +
		`","labels":[{"label":"I10","score":0.75},{"label":"E11","score":0.25}],"latency_ms":1.5}`
	if string(lines[0]) != want0 {
		t.Fatalf("line 0:\n got %s\nwant %s", lines[0], want0)
	}
	// decision 0, decision 1, checkpoint (every 2), decision 2, final checkpoint.
	kinds := []string{"decision", "decision", "checkpoint", "decision", "checkpoint"}
	if len(lines) != len(kinds) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(kinds), b)
	}
	for i, line := range lines {
		if !bytes.Contains(line, []byte(`"kind":"`+kinds[i]+`"`)) || !bytes.Contains(line, []byte(fmt.Sprintf(`"seq":%d,`, i))) {
			t.Errorf("line %d: %s", i, line)
		}
		if i > 0 {
			h := sha256.Sum256(lines[i-1])
			if !bytes.Contains(line, []byte(`"prev":"`+hex.EncodeToString(h[:])+`"`)) {
				t.Errorf("line %d: prev is not sha256 of line %d", i, i-1)
			}
		}
	}
	if h := HashText(""); h != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("HashText(\"\") = %s", h)
	}
	// The checkpoint signs the documented message.
	r, err := parseRecord(lines[2])
	if err != nil {
		t.Fatal(err)
	}
	msg := fmt.Sprintf("medbert-audit-checkpoint-v1\nseq=2\nprev=%s\ntime=%s\nkey_id=%s\n", r.Prev, r.Time, r.KeyID)
	sig, _ := base64.StdEncoding.DecodeString(r.Sig)
	if !ed25519.Verify(pub, []byte(msg), sig) {
		t.Fatal("checkpoint signature is not over the documented message")
	}
	rep, err := verifyFile(t, path, VerifyOptions{PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	want := Report{Lines: 5, Records: 5, LastSeq: 4, Checkpoints: 2, LastSigned: 4, Unprotected: 0, Signed: true, AnchorSeq: -1, KeyID: KeyID(pub)}
	if rep != want {
		t.Fatalf("report %+v, want %+v", rep, want)
	}
}

func TestIntact10k(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	priv, pub := testSigner(2)
	var shipped [][]byte // OnCheckpoint runs on the writer's goroutine, one call at a time
	writeLog(t, path, 10000, Options{SigningKey: priv, OnCheckpoint: func(line []byte) { shipped = append(shipped, line) }})
	head, err := os.ReadFile(path + ".head")
	if err != nil {
		t.Fatal(err)
	}
	if len(shipped) != 10 || !bytes.Equal(shipped[9], head) {
		t.Fatalf("OnCheckpoint: %d calls, want 10, the last one the head file", len(shipped))
	}
	// Any shipped checkpoint is an anchor.
	if rep, err := verifyFile(t, path, VerifyOptions{PublicKey: pub, Anchor: shipped[0]}); err != nil || rep.AnchorSeq != 1000 {
		t.Fatalf("first shipped checkpoint as anchor: %+v %v", rep, err)
	}
	rep, err := verifyFile(t, path, VerifyOptions{PublicKey: pub, Anchor: head})
	if err != nil {
		t.Fatal(err)
	}
	// 10000 decisions + a checkpoint per 1000 (10, the last one doubles as
	// the Close checkpoint since nothing follows it).
	if rep.Records != 10010 || rep.Checkpoints != 10 || rep.Unprotected != 0 || rep.AnchorSeq != 10009 {
		t.Fatalf("report %+v", rep)
	}
}

// Every single-byte change anywhere in the file is detected, plaintext and
// encrypted.
func TestEveryByteFlipDetected(t *testing.T) {
	priv, pub := testSigner(3)
	key := seal.Key{7}
	for _, sealed := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "a.log")
		opts := Options{SigningKey: priv, CheckpointEvery: 3}
		vopt := VerifyOptions{PublicKey: pub}
		if sealed {
			opts.SealKey, vopt.SealKey = &key, &key
		}
		writeLog(t, path, 5, opts)
		orig, _ := os.ReadFile(path)
		if _, err := VerifyWith(bytes.NewReader(orig), vopt); err != nil {
			t.Fatal(err)
		}
		for i := range orig {
			for _, x := range []byte{0x01, 0x20} { // 0x20 also swaps letter case, which JSON keys and hex decoding forgive
				b := bytes.Clone(orig)
				b[i] ^= x
				if _, err := VerifyWith(bytes.NewReader(b), vopt); err == nil {
					t.Fatalf("sealed=%v: byte %d ^%#x (%q) not detected", sealed, i, x, orig[i])
				}
			}
		}
	}
}

func TestDeleteReorderDuplicate(t *testing.T) {
	priv, pub := testSigner(4)
	path := filepath.Join(t.TempDir(), "a.log")
	writeLog(t, path, 6, Options{SigningKey: priv, CheckpointEvery: 100})
	orig, _ := os.ReadFile(path)
	lines := splitLines(orig)
	cat := func(idx ...int) []byte {
		var b []byte
		for _, i := range idx {
			b = append(b, lines[i]...)
		}
		return b
	}
	cases := []struct {
		name string
		log  []byte
		line int
		seq  uint64
		want string
	}{
		{"delete record 2", cat(0, 1, 3, 4, 5, 6), 3, 2, "seq 2 missing"},
		{"delete first record", cat(1, 2, 3, 4, 5, 6), 1, 0, "seq 0 missing"},
		{"swap 2 and 3", cat(0, 1, 3, 2, 4, 5, 6), 3, 2, "seq 2 missing"},
		{"duplicate 1", cat(0, 1, 1, 2, 3, 4, 5, 6), 3, 2, "holds seq 1"},
		{"torn last line", orig[:len(orig)-10], 7, 6, "incomplete last line"},
	}
	for _, c := range cases {
		_, err := VerifyWith(bytes.NewReader(c.log), VerifyOptions{PublicKey: pub})
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Line != c.line || ve.Seq != c.seq || !strings.Contains(ve.Reason, c.want) {
			t.Errorf("%s: got %v, want line %d seq %d %q", c.name, err, c.line, c.seq, c.want)
		}
	}
	// A record altered consistently (re-encoded, canonical) breaks the link
	// from the next record.
	alt := bytes.Replace(lines[1], []byte(`"I10","score":0.75`), []byte(`"I10","score":0.95`), 1)
	_, err := VerifyWith(bytes.NewReader(bytes.Join([][]byte{lines[0], alt, cat(2, 3, 4, 5, 6)}, nil)), VerifyOptions{PublicKey: pub})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Line != 3 || !strings.Contains(ve.Reason, "hash of line 2") {
		t.Errorf("altered record: %v", err)
	}
}

func TestTruncatedTail(t *testing.T) {
	priv, pub := testSigner(5)
	path := filepath.Join(t.TempDir(), "a.log")
	writeLog(t, path, 10, Options{SigningKey: priv, CheckpointEvery: 4})
	orig, _ := os.ReadFile(path)
	head, _ := os.ReadFile(path + ".head")
	lines := splitLines(orig)
	// Cut the final checkpoint and one decision: without the anchor the log
	// is consistent but its last 2 records are unprotected; with it, the cut
	// is an error naming the first missing seq.
	cut := bytes.Join(lines[:len(lines)-3], nil)
	rep, err := VerifyWith(bytes.NewReader(cut), VerifyOptions{PublicKey: pub})
	if err != nil || rep.Unprotected != 1 || rep.LastSigned != 9 {
		t.Fatalf("cut without anchor: %+v %v", rep, err)
	}
	_, err = VerifyWith(bytes.NewReader(cut), VerifyOptions{PublicKey: pub, Anchor: head})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Seq != 11 || !strings.Contains(ve.Reason, "missing tail") {
		t.Fatalf("cut with anchor: %v", err)
	}
	// A forged anchor is refused.
	bad := bytes.Replace(head, []byte(`"seq":`), []byte(`"seq":9`), 1)
	if _, err := VerifyWith(bytes.NewReader(orig), VerifyOptions{PublicKey: pub, Anchor: bad}); err == nil {
		t.Fatal("forged anchor accepted")
	}
}

func TestBadSignature(t *testing.T) {
	priv, _ := testSigner(6)
	_, otherPub := testSigner(7)
	path := filepath.Join(t.TempDir(), "a.log")
	writeLog(t, path, 3, Options{SigningKey: priv})
	_, err := verifyFile(t, path, VerifyOptions{PublicKey: otherPub})
	var ve *VerifyError
	if !errors.As(err, &ve) || !strings.Contains(ve.Reason, "not by the given public key") {
		t.Fatalf("other key: %v", err)
	}
	// A checkpoint re-signed by another key under the right key_id.
	otherPriv, _ := testSigner(7)
	b, _ := os.ReadFile(path)
	lines := splitLines(b)
	last := len(lines) - 2 // the last element is empty after the final newline
	r, _ := parseRecord(bytes.TrimSuffix(lines[last], []byte("\n")))
	signCheckpoint(r, otherPriv)
	forged, _ := json.Marshal(r)
	lines[last] = append(forged, '\n')
	_, pub := testSigner(6)
	_, err = VerifyWith(bytes.NewReader(bytes.Join(lines, nil)), VerifyOptions{PublicKey: pub})
	if !errors.As(err, &ve) || !strings.Contains(ve.Reason, "signature does not verify") || ve.Line != 4 {
		t.Fatalf("forged signature: %v", err)
	}
}

func TestConcurrentAppend(t *testing.T) {
	for _, mode := range []SyncMode{SyncGroup, SyncStrict} {
		priv, pub := testSigner(8)
		path := filepath.Join(t.TempDir(), "a.log")
		w, err := Open(path, Options{Sync: mode, SigningKey: priv, CheckpointEvery: 97})
		if err != nil {
			t.Fatal(err)
		}
		const G, N = 32, 60
		var wg sync.WaitGroup
		seqs := make([][]uint64, G)
		for g := range G {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range N {
					seq, err := w.Append(decision(g*N + i))
					if err != nil {
						t.Error(err)
						return
					}
					seqs[g] = append(seqs[g], seq)
				}
			}()
		}
		wg.Wait()
		if mode == SyncStrict {
			if st := w.Stats(); st.Durable < uint64(G*N) {
				t.Fatalf("strict: only %d of %d+ records durable after every Append returned", st.Durable, G*N)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		rep, err := VerifyWith(bytes.NewReader(b), VerifyOptions{PublicKey: pub})
		if err != nil {
			t.Fatal(err)
		}
		if want := G*N + (G*N)/97 + 1; rep.Records != want {
			t.Fatalf("mode %d: %d records, want %d", mode, rep.Records, want)
		}
		seen := map[string]bool{}
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			r, _ := parseRecord(line)
			if r.Kind == KindDecision {
				seen[r.RequestID] = true
			}
		}
		if len(seen) != G*N {
			t.Fatalf("%d distinct request ids, want %d", len(seen), G*N)
		}
		for g := range G {
			for i := 1; i < len(seqs[g]); i++ {
				if seqs[g][i] <= seqs[g][i-1] {
					t.Fatalf("seqs of one goroutine not increasing: %v", seqs[g])
				}
			}
		}
	}
}
