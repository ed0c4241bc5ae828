package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"

	"github.com/medbert/medbert/seal"
)

// Report summarises a verified log.
type Report struct {
	Lines       int    // lines read, the sealed-log header included
	Records     int    // records (checkpoints included)
	LastSeq     int64  // seq of the last record, -1 if none
	Checkpoints int    // checkpoint records
	LastSigned  int64  // seq of the last checkpoint, -1 if none
	Unprotected int    // records after the last checkpoint: a cut among them is undetectable without an anchor
	Signed      bool   // checkpoint signatures were checked (a public key was given)
	Sealed      bool   // the log is encrypted
	AnchorSeq   int64  // seq of the anchor checkpoint checked against the log, -1 if none
	KeyID       string // key_id of the checkpoints, if any
}

// VerifyError names the first line that breaks the log.
type VerifyError struct {
	Line   int    // 1-based line number in the file
	Seq    uint64 // seq expected at that line
	Reason string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("line %d (seq %d): %s", e.Line, e.Seq, e.Reason)
}

// VerifyOptions configure VerifyWith.
type VerifyOptions struct {
	// PublicKey checks checkpoint signatures; without it only the hash
	// chain is checked and Report.Signed is false.
	PublicKey ed25519.PublicKey
	// SealKey opens an encrypted log.
	SealKey *seal.Key
	// Anchor is a checkpoint line kept outside the log (the PATH.head file
	// the writer maintains, or a copy sent elsewhere). Its signature is
	// checked, and the log must contain it, byte for byte, at its seq: a log
	// cut before it reports the missing tail.
	Anchor []byte
	// MaxLine bounds one line's length (default 64 MiB).
	MaxLine int
}

// Verify checks a plaintext log read from r against the signing key pub
// (nil: hash chain only). See VerifyWith.
func Verify(r io.Reader, pub ed25519.PublicKey) (Report, error) {
	return VerifyWith(r, VerifyOptions{PublicKey: pub})
}

// VerifyWith reads a whole log and checks every line: canonical form, seq
// order from 0 without gaps, the prev hash chain, and every checkpoint's
// signature. It returns a *VerifyError naming the first broken or missing
// record, or an I/O error. A nil error means every record up to the last
// checkpoint is exactly as written; Report.Unprotected counts the records
// after it.
func VerifyWith(r io.Reader, opt VerifyOptions) (Report, error) {
	v := verifier{opt: opt, br: bufio.NewReaderSize(r, 64<<10), prev: genesisPrev,
		rep: Report{LastSeq: -1, LastSigned: -1, AnchorSeq: -1, Signed: opt.PublicKey != nil}}
	if v.opt.MaxLine <= 0 {
		v.opt.MaxLine = 64 << 20
	}
	if err := v.readAnchor(); err != nil {
		return v.rep, err
	}
	for {
		line, err := v.readLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return v.rep, err
		}
		if err := v.check(line); err != nil {
			return v.rep, err
		}
	}
	return v.rep, v.finish()
}

type verifier struct {
	opt      VerifyOptions
	br       *bufio.Reader
	rep      Report
	sealer   *seal.RecordSealer
	next     uint64
	prev     string
	anchor   *Record
	anchorOK bool
	anchorH  string
}

func (v *verifier) fail(reason string, args ...any) error {
	return &VerifyError{Line: v.rep.Lines, Seq: v.next, Reason: fmt.Sprintf(reason, args...)}
}

func (v *verifier) readAnchor() error {
	if v.opt.Anchor == nil {
		return nil
	}
	a, err := parseRecord(bytes.TrimSuffix(v.opt.Anchor, []byte("\n")))
	if err != nil || a.Kind != KindCheckpoint {
		return fmt.Errorf("anchor: not a checkpoint record")
	}
	if v.opt.PublicKey == nil {
		return errors.New("anchor: a public key is needed to trust it")
	}
	if err := checkSignature(a, v.opt.PublicKey); err != nil {
		return fmt.Errorf("anchor: %v", err)
	}
	v.anchor, v.anchorH = a, lineHash(bytes.TrimSuffix(v.opt.Anchor, []byte("\n")))
	return nil
}

// readLine returns the next line without its newline, io.EOF at a clean
// end, or a VerifyError for a torn or overlong last line.
func (v *verifier) readLine() ([]byte, error) {
	var line []byte
	for {
		chunk, err := v.br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > v.opt.MaxLine {
			v.rep.Lines++
			return nil, v.fail("line longer than %d bytes", v.opt.MaxLine)
		}
		switch err {
		case nil:
			v.rep.Lines++
			return line[:len(line)-1], nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if len(line) == 0 {
				return nil, io.EOF
			}
			v.rep.Lines++
			return nil, v.fail("incomplete last line of %d bytes (a torn write at a crash, or a cut file); reopening the log with its writer discards it", len(line))
		default:
			return nil, err
		}
	}
}

func (v *verifier) check(line []byte) error {
	if v.rep.Lines == 1 && isSealedHeader(line) {
		s, err := openSealedHeader(line, v.opt.SealKey)
		if err != nil {
			return v.fail("%v", err)
		}
		v.sealer, v.rep.Sealed = s, true
		return nil
	}
	plain := line
	if v.sealer != nil {
		var err error
		if plain, err = openLine(v.sealer, line); err != nil {
			return v.fail("%v", err)
		}
	} else if v.opt.SealKey != nil && v.rep.Lines == 1 {
		return v.fail("a key was given but the log is not encrypted")
	}
	r, err := parseRecord(plain)
	if err != nil {
		return v.fail("%v", err)
	}
	switch {
	case r.Seq > v.next:
		return v.fail("record seq %d missing (this line holds seq %d): records deleted", v.next, r.Seq)
	case r.Seq < v.next:
		return v.fail("holds seq %d, expected %d: records duplicated or reordered", r.Seq, v.next)
	case r.Prev != v.prev && v.next == 0:
		return v.fail("the first record's prev is not the genesis value (the start of the log is missing)")
	case r.Prev != v.prev:
		return v.fail("prev does not match the hash of line %d (seq %d): that line was altered, or records were removed or reordered", v.rep.Lines-1, v.next-1)
	}
	h := lineHash(plain)
	if r.Kind == KindCheckpoint {
		if v.opt.PublicKey != nil {
			if err := checkSignature(r, v.opt.PublicKey); err != nil {
				return v.fail("%v", err)
			}
		}
		if v.rep.KeyID != "" && r.KeyID != v.rep.KeyID {
			return v.fail("checkpoint key %s differs from the log's earlier key %s", r.KeyID, v.rep.KeyID)
		}
		v.rep.KeyID = r.KeyID
		v.rep.Checkpoints++
		v.rep.LastSigned = int64(r.Seq)
		v.rep.Unprotected = -1 // the checkpoint itself is protected
	}
	if v.anchor != nil && r.Seq == v.anchor.Seq {
		if h != v.anchorH {
			return v.fail("differs from the anchor checkpoint for this seq")
		}
		v.anchorOK = true
	}
	v.rep.Records++
	v.rep.Unprotected++
	v.rep.LastSeq = int64(r.Seq)
	v.next, v.prev = r.Seq+1, h
	return nil
}

func (v *verifier) finish() error {
	if v.anchor != nil {
		if !v.anchorOK {
			return &VerifyError{Line: v.rep.Lines + 1, Seq: v.next,
				Reason: fmt.Sprintf("missing tail: the log ends at seq %d but the anchor checkpoint has seq %d (records cut from the end)", v.rep.LastSeq, v.anchor.Seq)}
		}
		v.rep.AnchorSeq = int64(v.anchor.Seq)
	}
	return nil
}
