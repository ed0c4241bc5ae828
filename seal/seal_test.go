package seal

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

func testKey(b byte) Key {
	var k Key
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

func sealBytes(t testing.TB, pt []byte, key Key, chunk int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriterSize(&buf, key, chunk)
	if err != nil {
		t.Fatal(err)
	}
	// Write in uneven pieces so buffering across Write calls is exercised.
	for p := pt; len(p) > 0; {
		n := min(len(p), 1+len(p)/3)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openBytes(ct []byte, key Key) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(ct), key)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func randBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	key := testKey(1)
	for _, chunk := range []int{1, 7, 64, DefaultChunkSize} {
		for _, n := range []int{0, 1, chunk - 1, chunk, chunk + 1, 3*chunk - 1, 3 * chunk, 3*chunk + 1} {
			if n < 0 {
				continue
			}
			pt := randBytes(n, uint64(n))
			ct := sealBytes(t, pt, key, chunk)
			chunks := max(1, (n+chunk-1)/chunk)
			if n > 0 && n%chunk == 0 {
				chunks = n / chunk
			}
			if want := HeaderSize + n + chunks*Overhead; len(ct) != want {
				t.Errorf("chunk %d n %d: sealed size %d, want %d", chunk, n, len(ct), want)
			}
			if got := PlaintextSize(int64(len(ct)), chunk); got != int64(n) {
				t.Errorf("chunk %d n %d: PlaintextSize %d", chunk, n, got)
			}
			got, err := openBytes(ct, key)
			if err != nil {
				t.Fatalf("chunk %d n %d: %v", chunk, n, err)
			}
			if !bytes.Equal(got, pt) {
				t.Fatalf("chunk %d n %d: plaintext differs", chunk, n)
			}
		}
	}
}

func TestPlaintextSizeImpossible(t *testing.T) {
	for _, n := range []int64{0, HeaderSize - 1, HeaderSize, HeaderSize + Overhead - 1, HeaderSize + 64 + Overhead + 5} {
		if got := PlaintextSize(n, 64); got != -1 {
			t.Errorf("PlaintextSize(%d, 64) = %d, want -1", n, got)
		}
	}
	if got := PlaintextSize(HeaderSize+Overhead, 64); got != 0 {
		t.Errorf("empty stream: %d", got)
	}
}

// The reader obeys the io.Reader contract, also over a source that returns
// one byte at a time.
func TestReaderContract(t *testing.T) {
	key := testKey(13)
	pt := randBytes(300, 14)
	ct := sealBytes(t, pt, key, 64)
	r, err := NewReader(iotest.OneByteReader(bytes.NewReader(ct)), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := iotest.TestReader(r, pt); err != nil {
		t.Fatal(err)
	}
}

// Two seals of the same plaintext differ (fresh salt), so equal files do not
// show as equal ciphertexts.
func TestSaltIsFresh(t *testing.T) {
	a := sealBytes(t, []byte("same"), testKey(1), 64)
	b := sealBytes(t, []byte("same"), testKey(1), 64)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of one plaintext are identical")
	}
}

func TestEveryByteFlipDetected(t *testing.T) {
	key := testKey(2)
	ct := sealBytes(t, randBytes(150, 3), key, 64) // 3 chunks: 64, 64, 22
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		if _, err := openBytes(bad, key); err == nil {
			t.Fatalf("flip at byte %d not detected", i)
		}
	}
}

func TestTruncateReorderExtend(t *testing.T) {
	key := testKey(3)
	const chunk = 64
	pt := randBytes(3*chunk, 4) // exactly 3 full chunks: the last one is full
	ct := sealBytes(t, pt, key, chunk)
	full := chunk + Overhead
	c := func(i int) []byte { return ct[HeaderSize+i*full : HeaderSize+(i+1)*full] }
	hdr := ct[:HeaderSize]
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := map[string][]byte{
		"cut at chunk boundary": cat(hdr, c(0), c(1)),
		"cut inside chunk":      ct[:len(ct)-5],
		"header only":           hdr,
		"cut inside header":     ct[:HeaderSize-1],
		"swap chunks":           cat(hdr, c(1), c(0), c(2)),
		"repeat chunk":          cat(hdr, c(0), c(0), c(1), c(2)),
		"drop middle chunk":     cat(hdr, c(0), c(2)),
		"extend one byte":       cat(ct, []byte{0}),
		"extend with chunk":     cat(ct, c(2)),
		"other file's chunk":    cat(hdr, c(0), sealBytes(t, pt, key, chunk)[HeaderSize+full:HeaderSize+2*full], c(2)),
	}
	for name, bad := range cases {
		if got, err := openBytes(bad, key); err == nil {
			t.Errorf("%s: not detected (%d bytes returned)", name, len(got))
		}
	}
	if _, err := openBytes(ct, key); err != nil {
		t.Fatal(err)
	}
}

func TestWrongKeyAndNotSealed(t *testing.T) {
	ct := sealBytes(t, []byte("weights"), testKey(4), 64)
	if _, err := openBytes(ct, testKey(5)); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong key: got %v, want ErrWrongKey", err)
	}
	if _, err := openBytes([]byte(`{"not":"sealed"}`+strings.Repeat(" ", 100)), testKey(4)); !errors.Is(err, ErrNotSealed) {
		t.Fatalf("plain JSON: got %v, want ErrNotSealed", err)
	}
	if _, err := openBytes([]byte("PK"), testKey(4)); !errors.Is(err, ErrNotSealed) {
		t.Fatalf("short non-seal: got %v, want ErrNotSealed", err)
	}
}

// Plaintext of a chunk is never returned before the chunk authenticated:
// a tampered second chunk yields the first chunk's bytes at most.
func TestNoUnauthenticatedPlaintext(t *testing.T) {
	key := testKey(6)
	pt := randBytes(200, 7)
	ct := sealBytes(t, pt, key, 64)
	ct[HeaderSize+64+Overhead+10] ^= 0x80 // inside chunk 1
	r, err := NewReader(bytes.NewReader(ct), key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err == nil {
		t.Fatal("tampered chunk not detected")
	}
	if !bytes.Equal(got, pt[:64]) {
		t.Fatalf("returned %d bytes, want exactly the 64 of the authentic first chunk", len(got))
	}
}

func TestRecordSealer(t *testing.T) {
	salt, err := NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewRecordSealer(testKey(8), salt, "test")
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte(`{"seq":1}`)
	sealed := s.Seal(nil, msg)
	if len(sealed) != len(msg)+RecordOverhead {
		t.Fatalf("sealed %d bytes, want %d", len(sealed), len(msg)+RecordOverhead)
	}
	got, err := s.Open(nil, sealed)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open: %q, %v", got, err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 4
		if _, err := s.Open(nil, bad); err == nil {
			t.Fatalf("flip at %d not detected", i)
		}
	}
	other, _ := NewRecordSealer(testKey(8), salt, "other context")
	if _, err := other.Open(nil, sealed); err == nil {
		t.Fatal("record opened under another context")
	}
	if bytes.Equal(other.KeyCheck(), s.KeyCheck()) {
		t.Fatal("key checks of different contexts are equal")
	}
}

func FuzzOpen(f *testing.F) {
	key := testKey(9)
	f.Add(sealBytes(f, nil, key, 16))
	f.Add(sealBytes(f, []byte("hello, sealed world"), key, 16))
	f.Add(sealBytes(f, randBytes(100, 1), key, 16))
	f.Add([]byte("MBSEAL\x01\x00\x00\x00\x00\x10"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), key)
		if err != nil {
			return
		}
		io.Copy(io.Discard, r)
	})
}

func BenchmarkSeal(b *testing.B) {
	pt := randBytes(4<<20, 1)
	key := testKey(1)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		w, _ := NewWriter(io.Discard, key)
		w.Write(pt)
		w.Close()
	}
}

func BenchmarkOpen(b *testing.B) {
	pt := randBytes(4<<20, 1)
	key := testKey(1)
	ct := sealBytes(b, pt, key, DefaultChunkSize)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		r, _ := NewReader(bytes.NewReader(ct), key)
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
