package tokenize

import (
	"bytes"
	"slices"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"
)

// The pipeline below reproduces HF's slow BertTokenizer (v4 >= 4.29; the
// golden README's "Tokenizer goldens" section is the spec):
//
//	per-character lower (outside specials) -> split out specials ->
//	clean (drop C*, map whitespace) -> spaces around CJK -> NFC ->
//	split on whitespace -> per word: never-split check, lower, NFD + drop Mn,
//	split off punctuation -> WordPiece
//
// Instead of materialising each intermediate string, a piece of text is cut
// into chunks at whitespace. NFC, NFD and lower-casing never move text
// across whitespace (spaces are NFC boundaries), so chunks are independent.
// A chunk of plain ASCII letters, digits and punctuation (the vast majority
// of clinical text) takes a fast path where every step is a table lookup
// and offsets are byte positions. Any other chunk takes the general path,
// which carries the original byte span of every rune through each step.

type span struct{ s, e int }

// scratch holds per-call buffers, pooled so Tokenize does not allocate
// beyond its output.
type scratch struct {
	runes      []rune // current chunk word, cleaned (and lowered)
	spans      []span
	ra, rb, rc []rune // ping-pong buffers for NFC, lower, NFD
	sa, sb, sc []span
	buf        []byte // UTF-8 of the runes being normalised
	starts     []int  // byte offset of each rune in buf
	word       []byte // UTF-8 of the word given to WordPiece
	low        []byte // lower-cased ASCII word
	it         norm.Iter
}

// appendPiece tokenizes text[lo:hi], a stretch without special tokens.
func (t *Tokenizer) appendPiece(dst []Token, text string, lo, hi int, sc *scratch) []Token {
	i := lo
	for i < hi {
		b := text[i]
		if b < utf8.RuneSelf {
			if c := asciiClass[b]; c == aSpace || c == aDrop {
				i++
				continue
			}
			j, clean := i, true
			for j < hi {
				c := text[j]
				if c >= utf8.RuneSelf {
					break
				}
				k := asciiClass[c]
				if k == aSpace {
					break
				}
				if k == aDrop {
					clean = false
				}
				j++
			}
			if j < hi && text[j] >= utf8.RuneSelf && !t.general() {
				if r, _ := utf8.DecodeRuneInString(text[j:hi]); flagsOf(r)&fSpace == 0 {
					// The chunk goes on with non-ASCII text, which may be a
					// combining mark that composes with the last letter.
					end := chunkEnd(text, j, hi)
					dst = t.appendGeneral(dst, text, i, end, sc)
					i = end
					continue
				}
			}
			if clean && !t.general() {
				dst = t.appendASCII(dst, text, i, j, sc)
			} else {
				// Removed control chars can join "[CL" and "S]" into a
				// never-split word; the general path handles that.
				end := j
				if t.general() {
					end = chunkEnd(text, i, hi)
				}
				dst = t.appendGeneral(dst, text, i, end, sc)
				j = end
			}
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:hi])
		if flagsOf(r)&fSpace != 0 {
			i += size
			continue
		}
		end := chunkEnd(text, i, hi)
		dst = t.appendGeneral(dst, text, i, end, sc)
		i = end
	}
	return dst
}

// general reports whether every chunk must take the general path: with
// user never-split words, or when tests disable the fast path.
func (t *Tokenizer) general() bool { return t.forceGeneral || t.userNever != nil }

// chunkEnd returns the end of the whitespace-free chunk starting at i.
func chunkEnd(text string, i, hi int) int {
	for i < hi {
		b := text[i]
		if b < utf8.RuneSelf {
			if asciiClass[b] == aSpace {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:hi])
		if flagsOf(r)&fSpace != 0 {
			return i
		}
		i += size
	}
	return hi
}

// appendASCII handles a chunk of ASCII letters, digits and punctuation.
func (t *Tokenizer) appendASCII(dst []Token, text string, i, j int, sc *scratch) []Token {
	for k := i; k < j; {
		c := text[k]
		if asciiClass[c] == aPunct {
			dst = append(dst, Token{ID: int(t.punctID[c]), Start: k, End: k + 1})
			k++
			continue
		}
		e, upper := k, false
		for e < j {
			c := text[e]
			if asciiClass[c] != aWord {
				break
			}
			upper = upper || (c >= 'A' && c <= 'Z')
			e++
		}
		w := text[k:e]
		if t.lower && upper {
			sc.low = sc.low[:0]
			for p := 0; p < len(w); p++ {
				sc.low = append(sc.low, asciiLower[w[p]])
			}
			w = bytesString(sc.low)
		}
		dst = t.wordpieceASCII(dst, w, k)
		k = e
	}
	return dst
}

// bytesString views b as a string without copying. Only for lookups that do
// not retain the string.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// wordpieceASCII splits an ASCII word whose byte i is original byte base+i.
func (t *Tokenizer) wordpieceASCII(dst []Token, w string, base int) []Token {
	if len(w) > t.maxChars {
		return append(dst, Token{ID: t.unkID, Start: base, End: base + len(w)})
	}
	// Most words are whole vocabulary entries, and then the longest
	// prefix is the word itself: one hash lookup beats a trie walk.
	if id, ok := t.vocab.ids[w]; ok {
		return append(dst, Token{ID: id, Start: base, End: base + len(w)})
	}
	n0 := len(dst)
	tr := t.initial
	for start := 0; start < len(w); {
		id, end := tr.longest(w, start)
		if id < 0 {
			return append(dst[:n0], Token{ID: t.unkID, Start: base, End: base + len(w)})
		}
		dst = append(dst, Token{ID: int(id), Start: base + start, End: base + end})
		start, tr = end, t.cont
	}
	return dst
}

// appendGeneral handles any whitespace-free chunk text[lo:hi]: it cleans,
// lower-cases per character and splits at CJK ideographs, recording each
// rune's original span, then hands each resulting HF "word" to flushWord.
func (t *Tokenizer) appendGeneral(dst []Token, text string, lo, hi int, sc *scratch) []Token {
	sc.runes, sc.spans = sc.runes[:0], sc.spans[:0]
	for p := lo; p < hi; {
		r, size := utf8.DecodeRuneInString(text[p:hi])
		f := flagsOf(r)
		switch {
		case f&fDrop != 0:
		case f&fSpace != 0: // only when forced here from appendPiece's ASCII branch
			dst = t.flushWord(dst, sc)
		case f&fCJK != 0 && t.chinese:
			dst = t.flushWord(dst, sc)
			sc.runes = append(sc.runes, r)
			sc.spans = append(sc.spans, span{p, p + size})
			dst = t.flushWord(dst, sc)
		default:
			n := len(sc.runes)
			if t.lower {
				sc.runes = appendLower(sc.runes, r)
			} else {
				sc.runes = append(sc.runes, r)
			}
			for ; n < len(sc.runes); n++ {
				sc.spans = append(sc.spans, span{p, p + size})
			}
		}
		p += size
	}
	return t.flushWord(dst, sc)
}

// flushWord runs one whitespace-delimited word (sc.runes, cleaned) through
// NFC, never-split, lower, accent stripping and punctuation splitting, and
// WordPiece. It empties sc.runes.
func (t *Tokenizer) flushWord(dst []Token, sc *scratch) []Token {
	if len(sc.runes) == 0 {
		return dst
	}
	runes, spans := sc.runes, sc.spans
	runes, spans, sc.ra, sc.sa = normalize(norm.NFC, runes, spans, sc.ra, sc.sa, sc)
	if len(t.neverSplit) > 0 || t.userNever != nil {
		sc.buf = appendRunes(sc.buf[:0], runes)
		if t.userNever[string(sc.buf)] {
			id, ok := t.vocab.ids[string(sc.buf)]
			if !ok {
				id = t.unkID
			}
			dst = append(dst, Token{ID: id, Start: spans[0].s, End: spans[len(spans)-1].e})
			sc.runes, sc.spans = sc.runes[:0], sc.spans[:0]
			return dst
		}
		// A special token joined by removed control characters
		// ("[CL\u200bS]") is not split, and WordPiece finds it whole.
		if t.neverSplit[string(sc.buf)] {
			dst = t.wordpieceSpans(dst, runes, spans, sc)
			sc.runes, sc.spans = sc.runes[:0], sc.spans[:0]
			return dst
		}
	}
	if t.lower {
		// Python lowers the whole word again; after the per-character
		// pass this only matters for characters NFC produced.
		changed := false
		for _, r := range runes {
			if r >= utf8.RuneSelf && (r == 0x130 || unicode.ToLower(r) != r) {
				changed = true
				break
			}
		}
		if changed {
			sc.rb, sc.sb = sc.rb[:0], sc.sb[:0]
			for k, r := range runes {
				n := len(sc.rb)
				sc.rb = appendLower(sc.rb, r)
				for ; n < len(sc.rb); n++ {
					sc.sb = append(sc.sb, spans[k])
				}
			}
			runes, spans = sc.rb, sc.sb
		}
	}
	if t.strip {
		runes, spans, sc.rc, sc.sc = normalize(norm.NFD, runes, spans, sc.rc, sc.sc, sc)
		n := 0
		for k, r := range runes {
			if r >= 0x300 && flagsOf(r)&fMn != 0 {
				continue
			}
			runes[n], spans[n] = r, spans[k]
			n++
		}
		runes, spans = runes[:n], spans[:n]
	}
	ws := 0
	for k, r := range runes {
		if r < utf8.RuneSelf {
			if asciiClass[r] != aPunct {
				continue
			}
		} else if flagsOf(r)&fPunct == 0 {
			continue
		}
		dst = t.wordpieceSpans(dst, runes[ws:k], spans[ws:k], sc)
		dst = t.wordpieceSpans(dst, runes[k:k+1], spans[k:k+1], sc)
		ws = k + 1
	}
	dst = t.wordpieceSpans(dst, runes[ws:], spans[ws:], sc)
	sc.runes, sc.spans = sc.runes[:0], sc.spans[:0]
	return dst
}

func appendRunes(b []byte, runes []rune) []byte {
	for _, r := range runes {
		b = utf8.AppendRune(b, r)
	}
	return b
}

// normalize applies form to runes, mapping every output rune to an original
// span: unchanged normalisation segments keep their per-rune spans; a
// changed segment (a composition, decomposition or reordering) gives each
// of its output runes the span of the whole input segment. It returns the
// result and the (possibly grown) output buffers outR/outS.
func normalize(form norm.Form, runes []rune, spans []span, outR []rune, outS []span, sc *scratch) ([]rune, []span, []rune, []span) {
	ascii := true
	for _, r := range runes {
		if r >= 0x300 { // below U+0300 every rune is NFC/NFD-stable on its own
			ascii = false
			break
		}
	}
	if ascii && form == norm.NFC {
		return runes, spans, outR, outS
	}
	sc.buf = sc.buf[:0]
	sc.starts = sc.starts[:0]
	for _, r := range runes {
		sc.starts = append(sc.starts, len(sc.buf))
		sc.buf = utf8.AppendRune(sc.buf, r)
	}
	if form.IsNormal(sc.buf) {
		return runes, spans, outR, outS
	}
	outR, outS = outR[:0], outS[:0]
	sc.it.Init(form, sc.buf)
	ri := 0
	for !sc.it.Done() {
		p0 := sc.it.Pos()
		seg := sc.it.Next()
		p1 := sc.it.Pos()
		rj := ri
		for rj < len(runes) && sc.starts[rj] < p1 {
			rj++
		}
		if rj > ri && bytes.Equal(seg, sc.buf[p0:p1]) {
			outR = append(outR, runes[ri:rj]...)
			outS = append(outS, spans[ri:rj]...)
		} else {
			var sp span
			switch {
			case rj > ri:
				sp = span{spans[ri].s, spans[rj-1].e}
			case len(outS) > 0:
				sp = outS[len(outS)-1]
			default:
				sp = spans[0]
			}
			// x/text follows the Stream-Safe Text Format and inserts
			// U+034F (CGJ) into runs of over 30 combining marks; Python
			// does not, so drop any CGJ the input segment did not have.
			keepCGJ := slices.Contains(runes[ri:rj], cgj)
			for len(seg) > 0 {
				r, n := utf8.DecodeRune(seg)
				seg = seg[n:]
				if r == cgj && !keepCGJ {
					continue
				}
				outR = append(outR, r)
				outS = append(outS, sp)
			}
		}
		ri = rj
	}
	return outR, outS, outR, outS
}

const cgj = 0x34F // COMBINING GRAPHEME JOINER

// wordpieceSpans splits one normalised word (runes with original spans).
func (t *Tokenizer) wordpieceSpans(dst []Token, runes []rune, spans []span, sc *scratch) []Token {
	if len(runes) == 0 {
		return dst
	}
	whole := Token{ID: t.unkID, Start: spans[0].s, End: spans[len(spans)-1].e}
	if len(runes) > t.maxChars {
		return append(dst, whole)
	}
	sc.word = appendRunes(sc.word[:0], runes)
	w := bytesString(sc.word)
	if id, ok := t.vocab.ids[w]; ok {
		return append(dst, Token{ID: id, Start: whole.Start, End: whole.End})
	}
	n0 := len(dst)
	tr := t.initial
	ri := 0
	for start := 0; start < len(w); {
		id, end := tr.longest(w, start)
		if id < 0 {
			return append(dst[:n0], whole)
		}
		rj := ri + utf8.RuneCountInString(w[start:end])
		dst = append(dst, Token{ID: int(id), Start: spans[ri].s, End: spans[rj-1].e})
		start, ri, tr = end, rj, t.cont
	}
	return dst
}
