package pretrain

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/tokenize"
)

// A packed file holds n sequences of exactly SeqLen token ids:
//
//	magic "MBPACK1\n" (8 bytes), seq_len uint32, id_bytes uint32 (2 or 4),
//	then n·seq_len ids, little-endian.
//
// n follows from the file size, so the file is written in one streaming
// pass.
const (
	packMagic      = "MBPACK1\n"
	packHeaderSize = 16
)

// PackOptions control Pack.
type PackOptions struct {
	Corpus CorpusOptions
	// SeqLen is the length of every sequence, special tokens included.
	SeqLen int
	// BlockDocs is how many documents are tokenized together (in
	// parallel); it bounds the memory used (default 4096).
	BlockDocs int
	// Progress, when set, is called after each block with the documents
	// and sequences so far.
	Progress func(docs, seqs int64)
}

// PackStats counts what Pack read and wrote.
type PackStats struct {
	Documents int64 // documents read
	Tokens    int64 // tokens, [CLS]/[SEP] included, before chunking
	Sequences int64 // full sequences written
	Dropped   int64 // tokens of the final partial sequence, dropped
}

// Pack tokenizes the documents of files and writes them to out as
// sequences of exactly opt.SeqLen ids, as Hugging Face's run_mlm.py
// group_texts does: every document becomes [CLS] tokens [SEP], the
// documents are concatenated in order, and the stream is cut into
// SeqLen-long chunks; the last partial chunk is dropped. out is written
// atomically (a kill leaves no half-written file).
func Pack(ctx context.Context, files []string, tok *tokenize.Tokenizer, opt PackOptions, out string) (*PackStats, error) {
	if opt.SeqLen < 8 {
		return nil, fmt.Errorf("pack: sequence length %d is too short (want at least 8)", opt.SeqLen)
	}
	if opt.BlockDocs <= 0 {
		opt.BlockDocs = 4096
	}
	if len(files) == 0 {
		return nil, errors.New("pack: no input files")
	}
	idBytes := 2
	if tok.Vocab().Len() > 1<<16 {
		idBytes = 4
	}
	st := &PackStats{}
	err := safetensors.WriteAtomic(out, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		var hdr [packHeaderSize]byte
		copy(hdr[:8], packMagic)
		binary.LittleEndian.PutUint32(hdr[8:], uint32(opt.SeqLen))
		binary.LittleEndian.PutUint32(hdr[12:], uint32(idBytes))
		if _, err := bw.Write(hdr[:]); err != nil {
			return err
		}
		p := &packer{w: bw, seqLen: opt.SeqLen, idBytes: idBytes, st: st}
		var block []string
		run := func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			for _, toks := range tok.TokenizeBatch(block) {
				p.add(tok.ClsID())
				for _, t := range toks {
					p.add(t.ID)
				}
				p.add(tok.SepID())
			}
			st.Documents += int64(len(block))
			block = block[:0]
			if opt.Progress != nil {
				opt.Progress(st.Documents, st.Sequences)
			}
			return p.err
		}
		for _, f := range files {
			err := Documents(f, opt.Corpus, func(doc string) error {
				block = append(block, doc)
				if len(block) == opt.BlockDocs {
					return run()
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if err := run(); err != nil {
			return err
		}
		st.Dropped = int64(len(p.cur))
		if st.Sequences == 0 {
			return fmt.Errorf("pack: the corpus has %d tokens, fewer than one sequence of %d", st.Tokens, opt.SeqLen)
		}
		return bw.Flush()
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// packer cuts the token stream into sequences.
type packer struct {
	w       *bufio.Writer
	seqLen  int
	idBytes int
	cur     []int
	buf     []byte
	st      *PackStats
	err     error
}

func (p *packer) add(id int) {
	p.st.Tokens++
	p.cur = append(p.cur, id)
	if len(p.cur) < p.seqLen || p.err != nil {
		return
	}
	p.buf = p.buf[:0]
	for _, v := range p.cur {
		if p.idBytes == 2 {
			p.buf = binary.LittleEndian.AppendUint16(p.buf, uint16(v))
		} else {
			p.buf = binary.LittleEndian.AppendUint32(p.buf, uint32(v))
		}
	}
	_, p.err = p.w.Write(p.buf)
	p.cur = p.cur[:0]
	p.st.Sequences++
}

// Packed is an open packed file; sequences are read on demand, so the
// corpus never has to fit in memory. It is safe for concurrent use.
type Packed struct {
	f       *os.File
	path    string
	SeqLen  int
	idBytes int
	n       int
}

// OpenPacked opens a file written by Pack.
func OpenPacked(path string) (*Packed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var hdr [packHeaderSize]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil || string(hdr[:8]) != packMagic {
		f.Close()
		return nil, fmt.Errorf("%s: not a packed-sequence file (written by medbert pretrain)", path)
	}
	seqLen := int(binary.LittleEndian.Uint32(hdr[8:]))
	idBytes := int(binary.LittleEndian.Uint32(hdr[12:]))
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	body := fi.Size() - packHeaderSize
	if (idBytes != 2 && idBytes != 4) || seqLen < 1 || body%int64(seqLen*idBytes) != 0 {
		f.Close()
		return nil, fmt.Errorf("%s: corrupt packed-sequence file (seq_len %d, id_bytes %d, %d data bytes)", path, seqLen, idBytes, body)
	}
	return &Packed{f: f, path: path, SeqLen: seqLen, idBytes: idBytes, n: int(body / int64(seqLen*idBytes))}, nil
}

// Len is the number of sequences.
func (p *Packed) Len() int { return p.n }

// Seq reads sequence i into dst (len SeqLen) and returns it.
func (p *Packed) Seq(i int, dst []int) ([]int, error) {
	if i < 0 || i >= p.n {
		return nil, fmt.Errorf("%s: sequence %d outside [0, %d)", p.path, i, p.n)
	}
	size := p.SeqLen * p.idBytes
	buf := make([]byte, size)
	if _, err := p.f.ReadAt(buf, packHeaderSize+int64(i)*int64(size)); err != nil {
		return nil, fmt.Errorf("%s: sequence %d: %w", p.path, i, err)
	}
	dst = dst[:0]
	for j := range p.SeqLen {
		if p.idBytes == 2 {
			dst = append(dst, int(binary.LittleEndian.Uint16(buf[2*j:])))
		} else {
			dst = append(dst, int(binary.LittleEndian.Uint32(buf[4*j:])))
		}
	}
	return dst, nil
}

// Close closes the file.
func (p *Packed) Close() error { return p.f.Close() }
