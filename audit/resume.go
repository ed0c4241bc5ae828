package audit

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/medbert/medbert/seal"
)

// tail is what Open learns from the end of an existing log.
type tail struct {
	keep               int64 // length of the complete lines; bytes after it are a torn line
	next               uint64
	prev               string
	sealer             *seal.RecordSealer
	endsWithCheckpoint bool
}

var plainPrefix = []byte(`{"v":`)

// maxTailWindow bounds how far back from the end readTail looks for the
// last checkpoint.
const maxTailWindow = 64 << 20

// readTail checks the start and the end of an existing log and returns
// where its chain continues. It reads the head line and a window at the
// end, grown until it reaches back to the last checkpoint (or the start of
// the file, or maxTailWindow), and checks every record in it: the records
// no signature covers yet are exactly the ones checked. Reopening a large
// log stays quick; Verify checks the whole file.
func readTail(f *os.File, size int64, key *seal.Key, signer ed25519.PrivateKey) (tail, error) {
	var t tail
	first := make([]byte, min(size, 4096))
	if _, err := f.ReadAt(first, 0); err != nil {
		return t, err
	}
	sealed := isSealedHeader(first)
	switch {
	case sealed && key == nil:
		return t, errors.New("the log is encrypted: give its key file")
	case !sealed && !bytes.HasPrefix(first, plainPrefix) && !bytes.HasPrefix(plainPrefix, first):
		return t, errors.New("not a medbert audit log (refusing to append to it)")
	case !sealed && key != nil:
		return t, errors.New("the log is plaintext but a key file was given: start a new log to encrypt")
	}
	if sealed {
		nl := bytes.IndexByte(first, '\n')
		if nl < 0 {
			return t, nil // torn header: nothing complete, start over
		}
		s, err := openSealedHeader(first[:nl], key)
		if err != nil {
			return t, err
		}
		t.sealer = s
	}
	for win := min(size, 64<<10); ; win = min(size, 2*win) {
		buf := make([]byte, win)
		if _, err := f.ReadAt(buf, size-win); err != nil && err != io.EOF {
			return t, err
		}
		lines, fromStart, ok := completeLines(buf, win == size)
		if !ok {
			continue // fewer than two complete lines in the window: widen it
		}
		t.keep = size - win + int64(bytes.LastIndexByte(buf, '\n')+1)
		if len(lines) == 0 && !fromStart {
			continue
		}
		if fromStart && sealed {
			lines = lines[1:] // the header
		}
		sawCheckpoint, err := t.checkLines(lines, fromStart, signer)
		if err != nil {
			return t, err
		}
		if sawCheckpoint || win == size || win >= maxTailWindow {
			return t, nil
		}
	}
}

// completeLines splits buf at newlines, dropping the torn piece after the
// last newline and, unless buf starts the file, the partial first piece.
// ok is false when buf should grow (not yet two newlines, not whole file).
func completeLines(buf []byte, whole bool) (lines [][]byte, fromStart, ok bool) {
	end := bytes.LastIndexByte(buf, '\n')
	if end < 0 {
		return nil, whole, whole
	}
	pieces := bytes.Split(buf[:end], []byte("\n"))
	if whole {
		return pieces, true, true
	}
	if len(pieces) < 2 {
		return nil, false, false
	}
	return pieces[1:], false, true
}

// errDamaged explains what to do with a log the writer will not extend.
const errDamaged = "; the writer will not extend a damaged log: run medbert audit verify on it, move it aside and start a new one"

// checkLines checks the records among the last complete lines, and the
// chain links between them, and records where the chain continues.
func (t *tail) checkLines(lines [][]byte, fromStart bool, signer ed25519.PrivateKey) (sawCheckpoint bool, err error) {
	t.next, t.prev = 0, genesisPrev
	var last, ckpt *Record
	for i, line := range lines {
		plain := line
		if t.sealer != nil {
			if plain, err = openLine(t.sealer, line); err != nil {
				return false, fmt.Errorf("record %d from the end: %v%s", len(lines)-i, err, errDamaged)
			}
		}
		r, err := parseRecord(plain)
		if err != nil {
			return false, fmt.Errorf("record %d from the end: %v%s", len(lines)-i, err, errDamaged)
		}
		if (last != nil || fromStart) && (r.Seq != t.next || r.Prev != t.prev) {
			return false, fmt.Errorf("record seq %d does not follow its predecessor%s", r.Seq, errDamaged)
		}
		if r.Kind == KindCheckpoint {
			ckpt = r
		}
		last = r
		t.next, t.prev = r.Seq+1, lineHash(plain)
	}
	if last == nil {
		return false, nil
	}
	t.endsWithCheckpoint = last.Kind == KindCheckpoint
	if ckpt != nil && signer != nil {
		pub := signer.Public().(ed25519.PublicKey)
		if ckpt.KeyID != KeyID(pub) {
			return true, fmt.Errorf("the log is signed by key %s, not this signing key %s; start a new log file when changing keys", ckpt.KeyID, KeyID(pub))
		}
		if err := checkSignature(ckpt, pub); err != nil {
			return true, fmt.Errorf("checkpoint seq %d: %v%s", ckpt.Seq, err, errDamaged)
		}
	}
	return ckpt != nil, nil
}
