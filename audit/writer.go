package audit

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/medbert/medbert/seal"
)

// SyncMode says when Append returns relative to fsync.
type SyncMode int

const (
	// SyncGroup (the default) returns from Append at once; records are
	// written and fsynced together every SyncInterval or GroupRecords
	// records. A crash loses at most the records of that window.
	SyncGroup SyncMode = iota
	// SyncStrict returns from Append only after the record is on stable
	// storage. Concurrent appenders share one fsync (group commit).
	SyncStrict
)

// Options configure a Writer. The zero value is a plaintext, unsigned,
// group-synced log.
type Options struct {
	Sync SyncMode
	// SyncInterval is the longest a record waits before being written and
	// fsynced in SyncGroup mode (default 10ms).
	SyncInterval time.Duration
	// GroupRecords makes SyncGroup write and fsync as soon as this many
	// records are pending (default 256).
	GroupRecords int

	// SigningKey enables checkpoints: a signed record every CheckpointEvery
	// records (default 1000), every CheckpointInterval (default 1 minute)
	// when records were added, after reopening a log, and at Close. Each
	// checkpoint is also copied to the head file PATH.head (atomically
	// replaced), an external anchor that lets Verify detect a cut tail.
	SigningKey         ed25519.PrivateKey
	CheckpointEvery    int
	CheckpointInterval time.Duration

	// OnCheckpoint, if set, receives each checkpoint line (with its
	// newline) once the log holding it is durable, from the writer's
	// goroutine: ship it off the machine (syslog, another host) to keep an
	// anchor an attacker on this machine cannot roll back. The line holds
	// hashes, a time and a signature, no patient data. Keep it quick.
	OnCheckpoint func(line []byte)

	// SealKey encrypts every record (see the package documentation).
	SealKey *seal.Key

	// Now replaces time.Now (tests).
	Now func() time.Time
}

// Writer appends records to a log file. It is safe for concurrent use.
type Writer struct {
	path   string
	f      *os.File
	opts   Options
	sealer *seal.RecordSealer
	keyID  string
	unlock func()

	mu        sync.Mutex
	synced    *sync.Cond // broadcast after every write+fsync (or failure)
	next      uint64     // seq of the next record
	prev      string     // chain hash of the last record appended
	buf       []byte     // lines not yet written
	spare     []byte
	pending   int       // records in buf
	durable   uint64    // records with seq < durable are on stable storage
	sinceCkpt int       // records since the last checkpoint
	lastCkpt  time.Time // when the last checkpoint was appended
	heads     [][]byte  // checkpoint lines appended since the last flush, for the head file and OnCheckpoint
	err       error     // sticky write error: the log accepts nothing more
	closed    bool

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("audit: log is closed")

// Open opens (or creates, mode 0600) the log at path for appending. An
// existing log is resumed: its tail is checked, a torn last line left by a
// crash is cut off (and noted in a "reopen" record), and the chain
// continues; with a signing key a checkpoint then covers everything so far.
func Open(path string, opts Options) (*Writer, error) {
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = 10 * time.Millisecond
	}
	if opts.GroupRecords <= 0 {
		opts.GroupRecords = 256
	}
	if opts.CheckpointEvery <= 0 {
		opts.CheckpointEvery = 1000
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SigningKey != nil && len(opts.SigningKey) != ed25519.PrivateKeySize {
		return nil, errors.New("audit: signing key has the wrong size")
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	unlock, err := lockFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	w := &Writer{path: path, f: f, opts: opts, unlock: unlock, prev: genesisPrev,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	w.synced = sync.NewCond(&w.mu)
	if opts.SigningKey != nil {
		w.keyID = KeyID(opts.SigningKey.Public().(ed25519.PublicKey))
	}
	if err := w.start(); err != nil {
		unlock()
		f.Close()
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	w.lastCkpt = opts.Now()
	go w.flusher()
	return w, nil
}

// start creates the header of a new log or resumes an existing one.
func (w *Writer) start() error {
	st, err := w.f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		if err := w.create(); err != nil {
			return err
		}
		// The new file's folder entry must be durable before any record
		// is acknowledged as such.
		return seal.SyncDir(filepath.Dir(w.path))
	}
	t, err := readTail(w.f, st.Size(), w.opts.SealKey, w.opts.SigningKey)
	if err != nil {
		return err
	}
	if t.keep == 0 { // nothing complete: not even a header survived
		if err := w.f.Truncate(0); err != nil {
			return err
		}
		if err := w.create(); err != nil {
			return err
		}
	} else if t.keep < st.Size() {
		if err := w.f.Truncate(t.keep); err != nil {
			return fmt.Errorf("cut torn tail: %w", err)
		}
		if err := w.f.Sync(); err != nil {
			return err
		}
	}
	if t.keep > 0 {
		w.sealer, w.next, w.prev = t.sealer, t.next, t.prev
	}
	note := fmt.Sprintf("log reopened after seq %d", int64(w.next)-1)
	if torn := st.Size() - t.keep; torn > 0 {
		note += fmt.Sprintf("; discarded a torn last line of %d bytes (unsynced at a crash)", torn)
	}
	if !t.endsWithCheckpoint && w.next > 0 {
		note += "; the previous session ended without a checkpoint"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.appendLocked(&Record{Kind: KindReopen, Note: note}); err != nil {
		return err
	}
	if w.opts.SigningKey != nil {
		return w.checkpointLocked()
	}
	return nil
}

// create writes the header line of a new sealed log and syncs it.
func (w *Writer) create() error {
	if w.opts.SealKey == nil {
		return nil
	}
	line, s, err := newSealedHeader(*w.opts.SealKey)
	if err != nil {
		return err
	}
	if _, err := w.f.Write(append(line, '\n')); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	w.sealer = s
	return nil
}

// Append adds one record and returns its seq. Kind defaults to "decision";
// "checkpoint" and "reopen" are reserved. In SyncStrict mode it returns only
// after the record is durable. An error means the record may not be in the
// log; after a write error every later Append fails too.
func (w *Writer) Append(rec Record) (uint64, error) {
	if rec.Kind == "" {
		rec.Kind = KindDecision
	}
	if !validKind(rec.Kind) || rec.Kind == KindCheckpoint || rec.Kind == KindReopen {
		return 0, fmt.Errorf("audit: kind %q not allowed (1-32 of [a-z0-9_-]; checkpoint and reopen are reserved)", rec.Kind)
	}
	rec.KeyID, rec.Sig = "", ""
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	seq, err := w.appendLocked(&rec)
	if err != nil {
		return 0, err
	}
	if w.opts.SigningKey != nil && w.sinceCkpt >= w.opts.CheckpointEvery {
		if err := w.checkpointLocked(); err != nil {
			return 0, err
		}
	}
	switch {
	case w.opts.Sync == SyncStrict:
		w.kickFlusher()
		for w.durable <= seq && w.err == nil {
			w.synced.Wait()
		}
		if w.durable <= seq {
			return 0, w.err
		}
	case w.pending >= w.opts.GroupRecords:
		w.kickFlusher()
	}
	return seq, nil
}

func (w *Writer) kickFlusher() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// appendLocked stamps rec, encodes it and queues the line.
func (w *Writer) appendLocked(rec *Record) (uint64, error) {
	rec.V, rec.Seq, rec.Prev = FormatVersion, w.next, w.prev
	rec.Time = w.opts.Now().UTC().Format(TimeLayout)
	sanitize(rec)
	if rec.Kind == KindCheckpoint {
		rec.KeyID = w.keyID
		signCheckpoint(rec, w.opts.SigningKey)
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("audit: encode record: %w", err)
	}
	if w.sealer != nil {
		w.buf = sealLine(w.buf, w.sealer, line)
	} else {
		w.buf = append(w.buf, line...)
	}
	w.buf = append(w.buf, '\n')
	w.pending++
	w.sinceCkpt++
	w.prev = lineHash(line)
	w.next++
	if rec.Kind == KindCheckpoint {
		w.heads = append(w.heads, append(line, '\n'))
	}
	return rec.Seq, nil
}

// sanitize replaces invalid UTF-8, which encoding/json would write as
// \ufffd escapes that do not survive a decode and re-encode, breaking the
// canonical form.
func sanitize(r *Record) {
	for _, p := range []*string{&r.RequestID, &r.Caller, &r.Model, &r.ModelSHA256, &r.InputSHA256, &r.Text, &r.Note} {
		*p = strings.ToValidUTF8(*p, "\uFFFD")
	}
	copied := false // the slice is the caller's: copy it before changing it
	for i, l := range r.Labels {
		if utf8.ValidString(l.Label) {
			continue
		}
		if !copied {
			r.Labels, copied = slices.Clone(r.Labels), true
		}
		r.Labels[i].Label = strings.ToValidUTF8(l.Label, "\uFFFD")
	}
}

// checkpointLocked appends a signed checkpoint covering every record so far.
func (w *Writer) checkpointLocked() error {
	if _, err := w.appendLocked(&Record{Kind: KindCheckpoint}); err != nil {
		return err
	}
	w.sinceCkpt = 0
	w.lastCkpt = w.opts.Now()
	return nil
}

// flusher writes and fsyncs queued records: at once when kicked (strict
// appenders, a full group, Sync), else every SyncInterval. It also appends
// the time-based checkpoints.
func (w *Writer) flusher() {
	defer close(w.done)
	t := time.NewTicker(w.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-w.kick:
		case <-t.C:
			w.mu.Lock()
			if w.opts.SigningKey != nil && w.sinceCkpt > 0 && w.err == nil &&
				w.opts.Now().Sub(w.lastCkpt) >= w.opts.CheckpointInterval {
				w.checkpointLocked() // cannot fail: records were encodable before
			}
			w.mu.Unlock()
		case <-w.stop:
			return
		}
		w.flush()
	}
}

// flush writes and fsyncs everything queued. Only one flush runs at a time
// (the flusher goroutine, or Close after it stopped), so lines reach the
// file in seq order; appenders keep queueing into the other buffer
// meanwhile, and their records ride on the next fsync.
func (w *Writer) flush() {
	w.mu.Lock()
	if len(w.buf) == 0 || w.err != nil {
		w.mu.Unlock()
		return
	}
	data, upto, heads := w.buf, w.next, w.heads
	w.buf, w.spare, w.heads, w.pending = w.spare[:0], nil, nil, 0
	w.mu.Unlock()

	_, err := w.f.Write(data)
	if err == nil {
		err = w.f.Sync()
	}
	w.mu.Lock()
	w.spare = data[:0]
	if err == nil {
		w.durable = upto
	} else {
		w.setErr(err)
	}
	w.synced.Broadcast()
	w.mu.Unlock()

	// The anchor follows the log, never precedes it; appenders need not
	// wait for it.
	if err != nil || len(heads) == 0 {
		return
	}
	err = seal.WriteFileAtomic(w.path+".head", 0o644, func(hw io.Writer) error {
		_, err := hw.Write(heads[len(heads)-1])
		return err
	})
	if err != nil {
		w.mu.Lock()
		w.setErr(err)
		w.synced.Broadcast()
		w.mu.Unlock()
	}
	if w.opts.OnCheckpoint != nil {
		for _, h := range heads {
			w.opts.OnCheckpoint(h)
		}
	}
}

// setErr makes a write failure sticky: after it, the chain's on-disk state
// is unknown, so the log refuses further records rather than risk a gap.
func (w *Writer) setErr(err error) {
	if w.err == nil {
		w.err = fmt.Errorf("audit log %s: %w (the log accepts no more records)", w.path, err)
	}
}

// Sync writes and fsyncs every record appended so far.
func (w *Writer) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	target := w.next
	for w.durable < target && w.err == nil && !w.closed {
		w.kickFlusher()
		w.synced.Wait()
	}
	if w.durable < target && w.err == nil {
		return ErrClosed
	}
	return w.err
}

// Stats are counters for metrics.
type Stats struct {
	Appended uint64 // records appended since the log was created (the next seq)
	Durable  uint64 // of those, records known to be on stable storage
}

// Stats returns the current counters.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return Stats{Appended: w.next, Durable: w.durable}
}

// Close appends a final checkpoint (with a signing key), writes and fsyncs
// everything, and closes the file. Appends racing with Close either land
// before the final checkpoint or fail with ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.closed = true
	if w.opts.SigningKey != nil && w.sinceCkpt > 0 && w.err == nil {
		w.checkpointLocked()
	}
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	w.flush()
	w.mu.Lock()
	err := w.err
	w.synced.Broadcast() // wake Sync callers waiting on a closed log
	w.mu.Unlock()
	w.unlock()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("audit log %s: %w", w.path, cerr)
	}
	return err
}
