package bert

// Row is one encoded sequence of a batch: token ids and segment ids.
type Row struct {
	IDs, TypeIDs []int
}

// PadBatch makes a batch of rows padded to the longest row, rounded up to
// a multiple of multiple (HF pad_to_multiple_of; ≤ 1: no rounding) unless
// that would pass limit (0: no limit): input ids padID, attention mask 1
// on real tokens, token type 0 on pads (HF DataCollatorWithPadding).
func PadBatch(rows []Row, padID, multiple, limit int) *Input {
	s := 0
	for _, r := range rows {
		s = max(s, len(r.IDs))
	}
	if multiple > 1 && s%multiple != 0 {
		if r := s + multiple - s%multiple; limit <= 0 || r <= limit {
			s = r
		}
	}
	n := len(rows) * s
	in := &Input{Batch: len(rows), Seq: s, InputIDs: make([]int, n), AttentionMask: make([]int, n), TokenTypeIDs: make([]int, n)}
	for b, r := range rows {
		row := in.InputIDs[b*s : (b+1)*s]
		copy(row, r.IDs)
		for j := len(r.IDs); j < s; j++ {
			row[j] = padID
		}
		copy(in.TokenTypeIDs[b*s:], r.TypeIDs)
		for j := range r.IDs {
			in.AttentionMask[b*s+j] = 1
		}
	}
	return in
}
