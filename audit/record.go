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
	"strconv"
	"time"
)

// Kinds the writer itself emits; callers cannot append them.
const (
	KindDecision   = "decision"
	KindFeedback   = "feedback"
	KindCheckpoint = "checkpoint"
	KindReopen     = "reopen"
)

// FormatVersion is the record format version ("v") this package writes.
const FormatVersion = 1

// TimeLayout is the fixed-width UTC time of every record (nanoseconds).
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

// Label is one predicted label and its probability.
type Label struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// Record is one line of the log. Callers fill the fields from Kind to Note
// and pass the record to Writer.Append, which sets V, Seq, Prev and Time
// (and, for checkpoints it writes itself, KeyID and Sig).
//
// The field order here is the order on the line; the line is
// encoding/json.Marshal of this struct (fields left empty are omitted), and
// Verify rejects any line that is not exactly that.
type Record struct {
	V    int    `json:"v"`
	Seq  uint64 `json:"seq"`
	Prev string `json:"prev"`
	Time string `json:"time"`
	Kind string `json:"kind"`

	RequestID   string  `json:"request_id,omitempty"`
	Caller      string  `json:"caller,omitempty"`
	Model       string  `json:"model,omitempty"`
	ModelSHA256 string  `json:"model_sha256,omitempty"`
	InputSHA256 string  `json:"input_sha256,omitempty"`
	Text        string  `json:"text,omitempty"` // the input itself: only when the operator opted in
	Labels      []Label `json:"labels,omitempty"`
	LatencyMS   float64 `json:"latency_ms,omitempty"`
	Note        string  `json:"note,omitempty"`

	KeyID string `json:"key_id,omitempty"` // checkpoints: KeyID of the signing key
	Sig   string `json:"sig,omitempty"`    // checkpoints: base64 Ed25519 signature
}

// HashText is the input_sha256 of a text: lowercase hex SHA-256 of its
// UTF-8 bytes.
func HashText(text string) string {
	h := sha256.Sum256([]byte(text))
	return hex.EncodeToString(h[:])
}

// genesisPrev is the prev of the first record of a log.
var genesisPrev = string(bytes.Repeat([]byte("0"), 64))

// lineHash is the chain hash of a record line (without its newline).
func lineHash(line []byte) string {
	h := sha256.Sum256(line)
	return hex.EncodeToString(h[:])
}

// KeyID names a signing key in checkpoints: the first 16 hex digits of the
// SHA-256 of the 32-byte public key.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// checkpointMessage is the exact byte string a checkpoint signs.
func checkpointMessage(r *Record) []byte {
	return []byte("medbert-audit-checkpoint-v1\nseq=" + strconv.FormatUint(r.Seq, 10) +
		"\nprev=" + r.Prev + "\ntime=" + r.Time + "\nkey_id=" + r.KeyID + "\n")
}

func signCheckpoint(r *Record, priv ed25519.PrivateKey) {
	r.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, checkpointMessage(r)))
}

func checkSignature(r *Record, pub ed25519.PublicKey) error {
	if id := KeyID(pub); r.KeyID != id {
		return fmt.Errorf("checkpoint signed by key %s, not by the given public key %s", r.KeyID, id)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(r.Sig)
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, checkpointMessage(r), sig) {
		return errors.New("checkpoint signature does not verify")
	}
	return nil
}

// validKind reports whether k is a well-formed kind: 1 to 32 of [a-z0-9_-].
func validKind(k string) bool {
	if len(k) == 0 || len(k) > 32 {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isLowerHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// parseRecord decodes one plaintext line and checks it is canonical: the
// re-encoding of what was decoded equals the line byte for byte, so what a
// reader of the JSON sees is exactly what the chain hash covers.
func parseRecord(line []byte) (*Record, error) {
	// Unknown or differently-cased keys, whitespace, escapes and number
	// spellings all fail the re-encoding comparison below.
	var r Record
	if err := json.Unmarshal(line, &r); err != nil {
		return nil, fmt.Errorf("not a valid record: %v", err)
	}
	again, err := json.Marshal(&r)
	if err != nil || !bytes.Equal(again, line) {
		return nil, errors.New("record is not in canonical form (re-encoding differs)")
	}
	if r.V != FormatVersion {
		return nil, fmt.Errorf("record format version %d, this build reads %d", r.V, FormatVersion)
	}
	if !isLowerHex64(r.Prev) {
		return nil, errors.New("prev is not 64 lowercase hex digits")
	}
	if t, err := time.Parse(TimeLayout, r.Time); err != nil || t.Format(TimeLayout) != r.Time {
		return nil, errors.New("time is not " + TimeLayout)
	}
	if !validKind(r.Kind) {
		return nil, errors.New("kind is not 1-32 of [a-z0-9_-]")
	}
	if r.Kind == KindCheckpoint {
		bare := Record{V: r.V, Seq: r.Seq, Prev: r.Prev, Time: r.Time, Kind: r.Kind, KeyID: r.KeyID, Sig: r.Sig}
		if again2, _ := json.Marshal(&bare); !bytes.Equal(again2, line) {
			return nil, errors.New("checkpoint carries fields other than v, seq, prev, time, kind, key_id, sig")
		}
		if r.KeyID == "" || r.Sig == "" {
			return nil, errors.New("checkpoint without key_id or sig")
		}
	} else if r.KeyID != "" || r.Sig != "" {
		return nil, errors.New("key_id/sig on a record that is not a checkpoint")
	}
	return &r, nil
}
