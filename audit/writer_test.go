package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medbert/medbert/seal"
)

func records(t *testing.T, b []byte, key *seal.Key) []*Record {
	t.Helper()
	var out []*Record
	var s *seal.RecordSealer
	for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		if i == 0 && isSealedHeader(line) {
			var err error
			if s, err = openSealedHeader(line, key); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if s != nil {
			var err error
			if line, err = openLine(s, line); err != nil {
				t.Fatal(err)
			}
		}
		r, err := parseRecord(line)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		out = append(out, r)
	}
	return out
}

func TestReopenResumesChain(t *testing.T) {
	priv, pub := testSigner(10)
	key := seal.Key{1, 2, 3}
	for _, k := range []*seal.Key{nil, &key} {
		path := filepath.Join(t.TempDir(), "a.log")
		writeLog(t, path, 3, Options{SigningKey: priv, SealKey: k})
		writeLog(t, path, 2, Options{SigningKey: priv, SealKey: k})
		b, _ := os.ReadFile(path)
		rep, err := VerifyWith(bytes.NewReader(b), VerifyOptions{PublicKey: pub, SealKey: k})
		if err != nil {
			t.Fatal(err)
		}
		// 3 decisions, close checkpoint; reopen, checkpoint, 2 decisions, close checkpoint.
		var kinds []string
		for _, r := range records(t, b, k) {
			kinds = append(kinds, r.Kind)
		}
		want := "decision decision decision checkpoint reopen checkpoint decision decision checkpoint"
		if strings.Join(kinds, " ") != want || rep.Records != 9 || rep.Unprotected != 0 {
			t.Fatalf("sealed=%v: kinds %v, report %+v", k != nil, kinds, rep)
		}
		if k != nil && bytes.Contains(b, []byte("req-")) {
			t.Fatal("request id visible in an encrypted log")
		}
	}
}

// A log copied while its writer is still running is what a crash leaves
// (records after the last checkpoint, maybe a torn line): reopening cuts the
// torn line, says so in a reopen record, and the log verifies again.
func TestCrashRecovery(t *testing.T) {
	priv, pub := testSigner(11)
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	w, err := Open(path, Options{SigningKey: priv, CheckpointEvery: 4, Now: fakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		w.Append(decision(i))
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	crashed, _ := os.ReadFile(path)
	w.Close()

	torn := append(bytes.Clone(crashed), []byte(`{"v":1,"seq":7,"prev":"ab`)...)
	copyPath := filepath.Join(dir, "crashed.log")
	os.WriteFile(copyPath, torn, 0o600)
	_, err = VerifyWith(bytes.NewReader(torn), VerifyOptions{PublicKey: pub})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Line != 8 || ve.Seq != 7 || !strings.Contains(ve.Reason, "incomplete last line") {
		t.Fatalf("torn log: %v", err)
	}
	rep, err := VerifyWith(bytes.NewReader(crashed), VerifyOptions{PublicKey: pub})
	if err != nil || rep.Unprotected != 2 {
		t.Fatalf("crashed log without the torn line: %+v %v", rep, err)
	}

	writeLog(t, copyPath, 1, Options{SigningKey: priv})
	b, _ := os.ReadFile(copyPath)
	if !bytes.HasPrefix(b, crashed) {
		t.Fatal("recovery changed records that were complete")
	}
	rep, err = VerifyWith(bytes.NewReader(b), VerifyOptions{PublicKey: pub})
	if err != nil || rep.Unprotected != 0 {
		t.Fatalf("after recovery: %+v %v", rep, err)
	}
	rs := records(t, b, nil)
	reopen := rs[7]
	if reopen.Kind != KindReopen || reopen.Seq != 7 ||
		reopen.Note != "log reopened after seq 6; discarded a torn last line of 25 bytes (unsynced at a crash); the previous session ended without a checkpoint" {
		t.Fatalf("reopen record: %+v", reopen)
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	key := seal.Key{9}
	priv, _ := testSigner(12)
	other, _ := testSigner(13)
	plain := filepath.Join(dir, "plain.log")
	writeLog(t, plain, 1, Options{SigningKey: priv})
	sealed := filepath.Join(dir, "sealed.log")
	writeLog(t, sealed, 1, Options{SealKey: &key})
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("patient notes, not a log"), 0o600)
	wrong := seal.Key{8}
	cases := []struct {
		path string
		opts Options
		want string
	}{
		{plain, Options{SealKey: &key}, "plaintext but a key file was given"},
		{plain, Options{SigningKey: other}, "signed by key"},
		{sealed, Options{}, "encrypted"},
		{sealed, Options{SealKey: &wrong}, "wrong key"},
		{notes, Options{}, "not a medbert audit log"},
	}
	for _, c := range cases {
		before, _ := os.ReadFile(c.path)
		w, err := Open(c.path, c.opts)
		if err == nil {
			w.Close()
			t.Errorf("%s: opened, want %q", c.path, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.path, err, c.want)
		}
		if after, _ := os.ReadFile(c.path); !bytes.Equal(before, after) {
			t.Errorf("%s: changed by a refused Open", c.path)
		}
	}
	// Two writers on one file.
	w, err := Open(plain, Options{SigningKey: priv})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w2, err := Open(plain, Options{SigningKey: priv}); err == nil || !strings.Contains(err.Error(), "in use") {
		if w2 != nil {
			w2.Close()
		}
		t.Fatalf("second writer: %v", err)
	}
	if _, err := w.Append(Record{Kind: KindCheckpoint}); err == nil {
		t.Fatal("caller appended a checkpoint")
	}
	if _, err := w.Append(Record{Kind: "Bad Kind"}); err == nil {
		t.Fatal("bad kind accepted")
	}
}

func TestNewLogMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	writeLog(t, path, 1, Options{})
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("log mode %v, want 0600", st.Mode().Perm())
	}
}

// Group mode flushes on its own within SyncInterval, without Sync or Close.
func TestGroupFlushesByTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	w, err := Open(path, Options{SyncInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Append(decision(0))
	deadline := time.Now().Add(5 * time.Second)
	for w.Stats().Durable < 1 {
		if time.Now().After(deadline) {
			t.Fatal("record not synced within 5s")
		}
		time.Sleep(time.Millisecond)
	}
	if b, _ := os.ReadFile(path); !bytes.Contains(b, []byte("req-0")) {
		t.Fatal("durable record not in the file")
	}
}

// The writer process is SIGKILLed while strict appenders run; every record
// it acknowledged must be in the log, which verifies after reopening.
func TestKilledWriterKeepsAcknowledged(t *testing.T) {
	if os.Getenv("AUDIT_KILL_HELPER") != "" {
		killHelper()
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "a.log")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterKeepsAcknowledged$")
	cmd.Env = append(os.Environ(), "AUDIT_KILL_HELPER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[uint64]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if seq, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			n, _ := strconv.ParseUint(seq, 10, 64)
			acked[n] = true
			if len(acked) == 300 {
				cmd.Process.Kill()
			}
		}
	}
	cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("helper acknowledged only %d records", len(acked))
	}
	priv, pub := testSigner(14)
	writeLog(t, path, 0, Options{SigningKey: priv}) // reopen: repair and checkpoint
	b, _ := os.ReadFile(path)
	if _, err := VerifyWith(bytes.NewReader(b), VerifyOptions{PublicKey: pub}); err != nil {
		t.Fatal(err)
	}
	for _, r := range records(t, b, nil) {
		delete(acked, r.Seq)
	}
	if len(acked) != 0 {
		t.Fatalf("%d acknowledged records missing after SIGKILL", len(acked))
	}
}

func killHelper() {
	priv, _ := testSigner(14)
	w, err := Open(os.Getenv("AUDIT_KILL_HELPER"), Options{Sync: SyncStrict, SigningKey: priv, CheckpointEvery: 50})
	if err != nil {
		fmt.Println("error", err)
		return
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				seq, err := w.Append(decision(g*1_000_000 + i))
				if err != nil {
					return
				}
				mu.Lock()
				fmt.Printf("ack %d\n", seq)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// Reopening checks every record after the last checkpoint, however far
// back it is: a damaged unsigned record is refused, not built upon.
func TestReopenChecksUnsignedTail(t *testing.T) {
	priv, _ := testSigner(15)
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	w, err := Open(path, Options{SigningKey: priv, CheckpointEvery: 100000, Now: fakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 400 { // ~150 KB: beyond the first 64 KiB window
		w.Append(decision(i))
	}
	w.Sync()
	crashed, _ := os.ReadFile(path) // what a crash now leaves: no checkpoint yet
	w.Close()
	if len(crashed) < 128<<10 || bytes.Contains(crashed, []byte(`"checkpoint"`)) {
		t.Fatalf("setup: %d bytes", len(crashed))
	}
	damaged := bytes.Replace(crashed, []byte(`"req-5"`), []byte(`"req-X"`), 1)
	copyPath := filepath.Join(dir, "damaged.log")
	os.WriteFile(copyPath, damaged, 0o600)
	if w, err := Open(copyPath, Options{SigningKey: priv}); err == nil || !strings.Contains(err.Error(), "does not follow") {
		if w != nil {
			w.Close()
		}
		t.Fatalf("damaged unsigned tail: %v", err)
	}
	os.WriteFile(copyPath, crashed, 0o600)
	writeLog(t, copyPath, 0, Options{SigningKey: priv})
}
