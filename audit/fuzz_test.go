package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/medbert/medbert/seal"
)

// FuzzVerify: any input gives a report or an error, never a panic or hang.
func FuzzVerify(f *testing.F) {
	priv, pub := testSigner(20)
	key := seal.Key{20}
	dir := f.TempDir()
	for i, k := range []*seal.Key{nil, &key} {
		path := filepath.Join(dir, string(rune('a'+i)))
		writeLog(f, path, 3, Options{SigningKey: priv, SealKey: k, CheckpointEvery: 2})
		b, _ := os.ReadFile(path)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte(`{"v":1,"seq":0}` + "\n"))
	f.Add([]byte(`{"medbert_audit":1}` + "\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		VerifyWith(bytes.NewReader(data), VerifyOptions{PublicKey: pub, SealKey: &key, MaxLine: 1 << 16})
		VerifyWith(bytes.NewReader(data), VerifyOptions{Anchor: data})
	})
}
