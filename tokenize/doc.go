// Package tokenize is a WordPiece tokenizer with exact parity with Hugging
// Face's slow BertTokenizer (transformers v4 >= 4.29), for BERT, BioBERT,
// ClinicalBERT and any other WordPiece checkpoint.
//
// # Pipeline
//
// For a text: lower-case each character (when DoLowerCase) except inside
// special tokens; split out special tokens ([CLS], [SEP], ... kept whole);
// then per piece: drop NUL, U+FFFD and control/format/unassigned characters
// and map whitespace to spaces; put CJK ideographs in their own words; NFC;
// split on whitespace (including U+2028/U+2029); per word, lower-case, NFD
// and drop nonspacing marks (accent stripping follows DoLowerCase unless
// StripAccents is set); split off punctuation (ASCII 33-47, 58-64, 91-96,
// 123-126 and Unicode P*); WordPiece with greedy longest match and "##"
// continuations, a word over 100 code points becoming [UNK]. The golden
// tests in testdata/golden/tokenizer pin every step.
//
// Known differences: Go's Unicode 15 tables against Python 3.11's 14 (only
// code points assigned in 15 differ), and runs of more than 30 combining
// marks of mixed combining classes, which x/text's stream-safe NFC orders
// in blocks of 30 (its inserted U+034F is removed, so same-class runs match).
//
// # Offsets
//
// Token offsets are byte ranges into the original string, so text[s:e] is
// the source of a token; [UNK] covers its whole word, and tokens made from
// one source character (a Hangul syllable split into jamo pieces) share
// its range. Hugging Face's offset_mapping counts code points instead:
// Encoding.CharOffsets and RuneOffsets convert. Invalid UTF-8 bytes count
// as one code point each and, like U+FFFD, produce no tokens.
//
// # Encodings
//
// Encode, EncodePair and the parallel EncodeBatch / EncodePairBatch add
// [CLS]/[SEP], truncate (LongestFirst, OnlyFirst, OnlySecond), cut
// overflow windows with a stride (QA over long notes: every window is a
// complete encoding, as HF's fast tokenizers return them), pad (to the
// longest or to MaxLength) and report type ids, attention mask, special
// token mask and sequence ids. Flatten lists all windows with the index of
// their input.
//
// # Casing
//
// LoadDir never guesses silently: tokenizer_config.json decides when
// present, else tokenizer.json's normalizer, else the vocabulary (cased word
// tokens mean a cased model, unlike HF's lower-casing fallback that breaks
// BioBERT v1.1 and Bio_ClinicalBERT). Settings.LowerCaseReason records why.
package tokenize
